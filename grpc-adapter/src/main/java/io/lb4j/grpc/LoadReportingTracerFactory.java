package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.util.ForwardingClientStreamTracer;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Reports each stream on one endpoint to lb4j: the request counts in flight from
 * {@code streamCreated} (a pick whose transport is gone creates no stream, so nothing is counted)
 * until {@code streamClosed}, which releases it with the outcome mapped from the status and the
 * measured latency. Chains an optional further factory. Immutable; one per endpoint and balancer.
 */
final class LoadReportingTracerFactory extends ClientStreamTracer.Factory {

  private static final ClientStreamTracer NOOP = new ClientStreamTracer() {};

  private final LoadBalancer lb;
  private final Endpoint endpoint;
  private final ClientStreamTracer.Factory next;

  LoadReportingTracerFactory(LoadBalancer lb, Endpoint endpoint, ClientStreamTracer.Factory next) {
    this.lb = lb;
    this.endpoint = endpoint;
    this.next = next;
  }

  @Override
  public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
    ClientStreamTracer delegate = next == null ? NOOP : next.newClientStreamTracer(info, headers);
    return new Tracer(lb, endpoint, delegate);
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

    private final LoadBalancer lb;
    private final Endpoint endpoint;
    private final ClientStreamTracer delegate;
    private Selection selection; // published by the CAS on state
    private long startNanos; // UNTIMED when nothing reads latencies
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    Tracer(LoadBalancer lb, Endpoint endpoint, ClientStreamTracer delegate) {
      this.lb = lb;
      this.endpoint = endpoint;
      this.delegate = delegate;
    }

    @Override
    protected ClientStreamTracer delegate() {
      return delegate;
    }

    @Override
    public void streamCreated(Attributes transportAttrs, Metadata headers) {
      if (state != NEW) {
        super.streamCreated(transportAttrs, headers);
        return;
      }
      Selection s = lb.begin(endpoint);
      selection = s;
      // Timing costs two System.nanoTime() calls per stream; skip it when nothing reads latencies.
      startNanos = lb.recordsLatency() ? System.nanoTime() : UNTIMED;
      if (!STATE.compareAndSet(this, NEW, CREATED)) {
        s.release(Outcome.CANCELLED, -1); // closed before created: never leak the count
      }
      super.streamCreated(transportAttrs, headers);
    }

    @Override
    public void streamClosed(Status status) {
      if ((int) STATE.getAndSet(this, CLOSED) == CREATED) {
        selection.release(outcome(status.getCode()), startNanos == UNTIMED ? -1 : System.nanoTime() - startNanos);
      }
      super.streamClosed(status);
    }
  }
}
