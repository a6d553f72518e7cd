package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.util.ForwardingClientStreamTracer;
import io.lb4j.EndpointHandle;
import io.lb4j.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Reports each stream on one endpoint to lb4j through the endpoint's {@link EndpointHandle}, bound
 * when the pick result was built (no lookup per call): the request counts in flight from
 * {@code streamCreated} (a pick whose transport is gone creates no stream, so nothing is counted)
 * until {@code streamClosed}, which releases it with the outcome mapped from the status and, when
 * something reads latencies, the measured latency. Chains an optional further factory. Immutable;
 * one per endpoint and balancer.
 *
 * <p>Per call: one tracer object and the handle's counting (the in-flight increment and decrement,
 * the outcome count, outlier detection's counters when it is on); no {@link io.lb4j.Selection} and
 * no compare-and-set of its own. gRPC calls {@code streamCreated} and {@code streamClosed} of one
 * stream in that order, one after the other, and may close a stream that was never created (a call
 * that failed before reaching a transport); the tracer's state field handles the latter.
 */
final class LoadReportingTracerFactory extends ClientStreamTracer.Factory {

  private static final ClientStreamTracer NOOP = new ClientStreamTracer() {};

  private final EndpointHandle handle;
  private final boolean timed;
  private final ClientStreamTracer.Factory next;

  /**
   * @param handle the endpoint's handle
   * @param timed whether to measure latency ({@code LoadBalancer.recordsLatency()}): two
   *     {@code System.nanoTime()} calls per stream, skipped when nothing reads latencies
   * @param next a further factory to chain, or null
   */
  LoadReportingTracerFactory(EndpointHandle handle, boolean timed, ClientStreamTracer.Factory next) {
    this.handle = handle;
    this.timed = timed;
    this.next = next;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    ClientStreamTracer delegate = next == null ? NOOP : next.newClientStreamTracer(info, headers);
    return new Tracer(handle, timed, delegate);
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
  static final class Tracer extends ForwardingClientStreamTracer {
    private static final VarHandle STATE;
    private static final int NEW = 0;
    private static final int CREATED = 1;
    private static final int CLOSED = 2;
    // A sentinel (not a boolean field: that would grow every tracer by 8 bytes); nanoTime() never
    // lands on exactly this value in practice, and if it did the cost is one unrecorded latency.
    private static final long UNTIMED = Long.MIN_VALUE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Tracer.class, "state", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final EndpointHandle handle;
    private final boolean timed;
    private final ClientStreamTracer delegate;
    private long startNanos;
    @SuppressWarnings("unused") // accessed through STATE
    private int state;

    Tracer(EndpointHandle handle, boolean timed, ClientStreamTracer delegate) {
      this.handle = handle;
      this.timed = timed;
      this.delegate = delegate;
    }

    @Override
    protected ClientStreamTracer delegate() {
      return delegate;
    }

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
      // gRPC orders a stream's callbacks (release/acquire suffice, no compare-and-set): created at
      // most once, closed after it if at all; a stream closed first is never counted.
      if ((int) STATE.getAcquire(this) == NEW) {
        startNanos = timed ? System.nanoTime() : UNTIMED;
        STATE.setRelease(this, CREATED);
        handle.acquire();
      }
      delegate.streamCreated(transportAttrs, headers);
    }

    @Override
    public void streamClosed(Status status) {
      int was = (int) STATE.getAcquire(this);
      STATE.setRelease(this, CLOSED);
      if (was == CREATED) {
        handle.release(outcome(status.getCode()), startNanos == UNTIMED ? -1 : System.nanoTime() - startNanos);
      }
      delegate.streamClosed(status);
    }
  }
}
