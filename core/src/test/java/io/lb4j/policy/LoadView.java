package io.lb4j.policy;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.List;

/** A test view whose load, effective weight, failure ratio and peak-EWMA latency the test sets by hand. */
final class LoadView implements EndpointView {
  final Endpoint endpoint;
  volatile int inFlight;
  volatile int weight;
  volatile double failureRatio;
  volatile double peakEwma;
  volatile long peakStamp;

  LoadView(int port, int weight) {
    this(Endpoint.of("127.0.0.1", port).withWeight(weight));
  }

  /** A view of {@code endpoint} with its own weight and nothing in flight. */
  LoadView(Endpoint endpoint) {
    this.endpoint = endpoint;
    this.weight = endpoint.weight();
  }

  /** One view per weight, on ports 1, 2, 3, ... */
  static List<LoadView> of(int... weights) {
    List<LoadView> views = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      views.add(new LoadView(i + 1, weights[i]));
    }
    return views;
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public double latencyEwmaNanos() {
    return 0;
  }

  @Override
  public int effectiveWeight() {
    return weight;
  }

  @Override
  public double failureRatio() {
    return failureRatio;
  }

  @Override
  public double peakEwmaNanos() {
    return peakEwma;
  }

  @Override
  public long peakEwmaStampNanos() {
    return peakStamp;
  }

  /** Sets the peak-EWMA estimate (nanoseconds) and its stamp; returns this view. */
  LoadView latency(double nanos, long stamp) {
    this.peakEwma = nanos;
    this.peakStamp = stamp;
    return this;
  }

  @Override
  public String toString() {
    return endpoint.address() + "{w=" + weight + ", inFlight=" + inFlight + "}";
  }
}
