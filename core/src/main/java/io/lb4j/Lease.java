package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Selection} of one pick: a fresh object per pick, released at most once. Not recycled:
 * two holders of one recycled object are indistinguishable to it, so a stale second release
 * would end another request's use; a fresh object makes any later release a no-op (the cost is one
 * 24-byte object per pick, which the JIT often removes when the selection does not escape).
 */
final class Lease implements Selection {

  /** Per-request lines (DEBUG only), under their own name so they can be switched on alone. */
  private static final Logger requestLog = LoggerFactory.getLogger("io.lb4j.requests");
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(Lease.class, "released", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EndpointState state;
  private final BalancerCore core;
  @SuppressWarnings("unused") // accessed through RELEASED
  private volatile int released;

  /** Counts the request in flight; the caller hands the lease out. */
  Lease(EndpointState state, BalancerCore core) {
    this.state = state;
    this.core = core;
    state.acquire();
    LongAdder total = core.totalInFlight;
    if (total != null) {
      total.increment();
    }
  }

  @Override
  public Endpoint endpoint() {
    return state.endpoint();
  }

  @Override
  public void release(Outcome outcome, long latencyNanos) {
    if (!RELEASED.compareAndSet(this, 0, 1)) {
      return; // already released
    }
    Outcome o = outcome == null ? Outcome.CANCELLED : outcome;
    state.release(o, latencyNanos);
    LongAdder total = core.totalInFlight;
    if (total != null) {
      total.decrement();
    }
    if (requestLog.isDebugEnabled()) {
      requestLog.debug("lb={} endpoint={} outcome={} latency={}us inFlight={}", core.name, state.address, o,
          latencyNanos / 1000, state.inFlight());
    }
    core.registry.released(state);
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must not be null; the selection of " + state.address + " was released as CANCELLED");
    }
  }

  @Override
  public String toString() {
    return "Selection{" + state.address + (released == 1 ? ", released" : "") + "}";
  }
}
