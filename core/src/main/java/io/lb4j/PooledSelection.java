package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** A recyclable {@link Selection}; see {@link SelectionPool} and the recycling note on {@link Selection}. */
final class PooledSelection implements Selection {

  private static final VarHandle ARMED;

  static {
    try {
      ARMED = MethodHandles.lookup().findVarHandle(PooledSelection.class, "armed", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LoadBalancer lb;
  private final SelectionPool.Stack home; // null: not pooled
  PooledSelection next; // free-list link, see SelectionPool.Stack
  private EndpointState state; // published to other threads by the caller's hand-off of the selection
  @SuppressWarnings("unused") // accessed through ARMED
  private volatile int armed;

  PooledSelection(LoadBalancer lb, SelectionPool.Stack home) {
    this.lb = lb;
    this.home = home;
  }

  PooledSelection arm(EndpointState s) {
    this.state = s;
    ARMED.setRelease(this, 1);
    return this;
  }

  @Override
  public Endpoint endpoint() {
    return state.endpoint();
  }

  @Override
  public void release(Outcome outcome, long latencyNanos) {
    if (!ARMED.compareAndSet(this, 1, 0)) {
      return; // already released
    }
    EndpointState s = state;
    lb.onRelease(s, outcome == null ? Outcome.CANCELLED : outcome, latencyNanos);
    if (home != null) {
      home.push(this);
    }
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must not be null; the selection of " + s.address + " was released as CANCELLED");
    }
  }

  @Override
  public String toString() {
    EndpointState s = state;
    return "Selection{" + (s == null ? "-" : s.address) + (armed == 1 ? "" : ", released") + "}";
  }
}
