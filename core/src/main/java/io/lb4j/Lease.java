package io.lb4j;

/**
 * The {@link Selection} of one pick, released at most once. Two holders of one recycled object
 * would be indistinguishable to it, so each pick makes a new lease, and the once-only check is on
 * the {@linkplain ThreadCounts.Ticket ticket} it holds with the generation it claimed: the first
 * release moves the ticket's generation on, so any later release, however late, does nothing, even
 * after the ticket serves another request. The lease itself has only final fields and tiny methods,
 * so when a pick and its release meet in one compiled method (a synchronous call) the JIT
 * scalar-replaces it and a pick allocates nothing; a lease that escapes (an asynchronous call) costs
 * one 24-byte object.
 */
final class Lease implements Selection {

  private final EndpointState state;
  private final ThreadCounts.Ticket ticket;
  private final int generation;

  /** Counts the request in flight; the caller hands the lease out. */
  Lease(EndpointState state) {
    this.state = state;
    ThreadCounts.Ticket t = state.acquire();
    this.ticket = t;
    this.generation = t.generation();
  }

  @Override
  public Endpoint endpoint() {
    return state.endpoint();
  }

  @Override
  public void release(Outcome outcome, long latencyNanos) {
    if (ticket.release(generation)) {
      state.release(ticket.block, outcome, latencyNanos);
    }
  }

  @Override
  public String toString() {
    return "Selection{" + state.address + (ticket.generation() == generation ? "" : ", released") + "}";
  }
}
