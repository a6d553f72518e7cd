package io.lb4j;

import io.lb4j.policy.EndpointView;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live, mutable state of one endpoint inside one {@link LoadBalancer}: what pickers read and
 * what {@link Selection#release} writes. Keyed by address, it survives endpoint-list updates for
 * endpoints that stay. Every field is read and written without locks.
 */
final class EndpointState implements EndpointView {

  private static final VarHandle IN_FLIGHT;

  static {
    try {
      IN_FLIGHT = MethodHandles.lookup().findVarHandle(EndpointState.class, "inFlight", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Weight of the newest latency sample in the moving average. */
  static final double EWMA_ALPHA = 0.2;

  final String address;
  private volatile Endpoint endpoint;
  @SuppressWarnings("unused") // accessed through IN_FLIGHT
  private volatile int inFlight;
  // Racy read-modify-write: a lost update under contention only loses one sample of an average.
  private volatile double latencyEwma;

  /** Set while the endpoint is explicitly drained or has been removed from the list. */
  volatile boolean draining;
  /** Set once the endpoint left the endpoint list; its state then only waits for in-flight to end. */
  volatile boolean removed;

  EndpointState(Endpoint endpoint) {
    this.address = endpoint.address();
    this.endpoint = endpoint;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  void endpoint(Endpoint updated) {
    this.endpoint = updated;
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public double latencyEwmaNanos() {
    return latencyEwma;
  }

  @Override
  public int effectiveWeight() {
    return endpoint.weight();
  }

  void acquire() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  /** Ends one request: decrements in-flight and folds the latency into the moving average. */
  void release(long latencyNanos) {
    IN_FLIGHT.getAndAdd(this, -1);
    if (latencyNanos >= 0) {
      double old = latencyEwma;
      latencyEwma = old == 0.0 ? latencyNanos : old + EWMA_ALPHA * (latencyNanos - old);
    }
  }

  @Override
  public String toString() {
    return address + "{inFlight=" + inFlight + "}";
  }
}
