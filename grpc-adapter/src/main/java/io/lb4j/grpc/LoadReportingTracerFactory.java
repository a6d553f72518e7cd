package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.EndpointHandle;
import io.lb4j.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Reports each stream on one endpoint to lb4j through the endpoint's {@link EndpointHandle}, bound
 * when the pick result was built (no lookup per call): the request counts in flight from
 * {@code streamCreated} (a pick whose transport is gone creates no stream, so nothing is counted)
 * until {@code streamClosed}, which releases it with the outcome mapped from the status and, when
 * something reads latencies, the measured latency. Immutable; one per endpoint and balancer.
 *
 * <p>Per call: one small tracer object (the factory, a start time, a state; no delegate, so a
 * message's callbacks are the base class's empty methods) and the handle's counting (the in-flight increment and decrement,
 * the outcome count, outlier detection's counters when it is on); no {@link io.lb4j.Selection} and
 * no compare-and-set of its own. gRPC calls {@code streamCreated} and {@code streamClosed} of one
 * stream in that order, one after the other, and may close a stream that was never created (a call
 * that failed before reaching a transport); the tracer's state field handles the latter.
 */
final class LoadReportingTracerFactory extends ClientStreamTracer.Factory {

  private final EndpointHandle handle;
  private final boolean timed;

  /**
   * @param handle the endpoint's handle
   * @param timed whether to measure latency ({@code LoadBalancer.recordsLatency()}): two
   *     {@code System.nanoTime()} calls per stream, skipped when nothing reads latencies
   */
  LoadReportingTracerFactory(EndpointHandle handle, boolean timed) {
    this.handle = handle;
    this.timed = timed;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    return new Tracer(this);
  }

  /**
   * How a finished call counts for health: transport and server failures are {@code SERVER_ERROR},
   * an expired deadline {@code TIMEOUT}, a cancellation neither; application errors
   * ({@code NOT_FOUND}, {@code INVALID_ARGUMENT}, ...) mean the server works, so {@code SUCCESS}.
   */
  static Outcome outcome(Status.Code code) {
    return switch (code) {
      case OK -> Outcome.SUCCESS;
      case UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS -> Outcome.SERVER_ERROR;
      case DEADLINE_EXCEEDED -> Outcome.TIMEOUT;
      case CANCELLED -> Outcome.CANCELLED;
      default -> Outcome.SUCCESS;
    };
  }

  /** One stream's tracer; created, then closed, possibly on different threads. */
  static final class Tracer extends ClientStreamTracer {
    private static final VarHandle STATE;
    private static final int NEW = 0;
    private static final int CREATED = 1;
    private static final int CLOSED = 2;
    // A sentinel (not a per-tracer flag: that would grow every tracer); nanoTime() never
    // lands on exactly this value in practice, and if it did the cost is one unrecorded latency.
    private static final long UNTIMED = Long.MIN_VALUE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Tracer.class, "state", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** Holds the handle and whether to time: one reference instead of two fields per tracer. */
    private final LoadReportingTracerFactory factory;
    private long startNanos;
    @SuppressWarnings("unused") // accessed through STATE
    private int state;

    Tracer(LoadReportingTracerFactory factory) {
      this.factory = factory;
    }

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
      // gRPC orders a stream's callbacks (release/acquire suffice, no compare-and-set): created at
      // most once, closed after it if at all; a stream closed first is never counted.
      if ((int) STATE.getAcquire(this) == NEW) {
        startNanos = factory.timed ? System.nanoTime() : UNTIMED;
        STATE.setRelease(this, CREATED);
        factory.handle.acquire();
      }
    }

    @Override
    public void streamClosed(Status status) {
      int was = (int) STATE.getAcquire(this);
      STATE.setRelease(this, CLOSED);
      if (was == CREATED) {
        factory.handle.release(outcome(status.getCode()), startNanos == UNTIMED ? -1 : System.nanoTime() - startNanos);
      }
    }
  }
}
