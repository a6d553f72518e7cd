package io.lb4j;

/**
 * Receives one endpoint's released latencies (the meter registry's timer); a core type, so that
 * nothing of Micrometer is loaded without a registry.
 */
@FunctionalInterface
interface LatencyRecorder {

  /** Records one latency; lock-free and allocation-free. */
  void record(long nanos);
}
