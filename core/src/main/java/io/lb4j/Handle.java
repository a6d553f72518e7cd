package io.lb4j;

/**
 * The {@link EndpointHandle} of one {@link EndpointState}, made once with it. It counts the way a
 * {@link Lease} does (the same cells, totals and meters), without a ticket: its holder, a transport
 * adapter, releases each request it acquired exactly once itself.
 */
final class Handle implements EndpointHandle {

  final EndpointState state;
  private volatile Object attachment;

  Handle(EndpointState state) {
    this.state = state;
  }

  @Override
  public Endpoint endpoint() {
    return state.endpoint();
  }

  @Override
  public void acquire() {
    state.start();
  }

  @Override
  public void release(Outcome outcome, long latencyNanos) {
    // The releasing thread counts in its own cells: an adapter's release runs on a transport thread.
    state.release(null, outcome == null ? Outcome.CANCELLED : outcome, latencyNanos);
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
