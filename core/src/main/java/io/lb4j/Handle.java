package io.lb4j;

import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link EndpointHandle} of one {@link EndpointState}, made once with it; {@link Lease} counts
 * through it too, so a request is counted the same way whichever path began it.
 */
final class Handle implements EndpointHandle {

  final EndpointState state;
  private final BalancerCore core;
  private volatile Object attachment;

  Handle(EndpointState state, BalancerCore core) {
    this.state = state;
    this.core = core;
  }

  @Override
  public Endpoint endpoint() {
    return state.endpoint();
  }

  @Override
  public void acquire() {
    state.acquire();
    LongAdder total = core.totalInFlight;
    if (total != null) {
      total.increment();
    }
    LongAdder zone = state.zoneRequests;
    if (zone != null) {
      zone.increment();
    }
  }

  @Override
  public void release(Outcome outcome, long latencyNanos) {
    state.release(outcome == null ? Outcome.CANCELLED : outcome, latencyNanos);
    LongAdder total = core.totalInFlight;
    if (total != null) {
      total.decrement();
    }
    core.registry.released(state);
  }

  @Override
  public Object attachment() {
    return attachment;
  }

  @Override
  public void attach(Object attachment) {
    this.attachment = attachment;
  }

  @Override
  public String toString() {
    return "EndpointHandle{" + state.address + "}";
  }
}
