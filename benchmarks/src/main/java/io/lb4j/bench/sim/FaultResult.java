package io.lb4j.bench.sim;

/**
 * What one seeded run of a {@link FaultScenario} produced. Latencies are caller-seen (retries and
 * backoff included), in milliseconds.
 *
 * @param scenario scenario name
 * @param seed the seed
 * @param requests requests sent
 * @param failed requests that reached the caller as failures
 * @param failed503 of those, a 503 response
 * @param failedConnect of those, a connect failure
 * @param failedNoEndpoint of those, no endpoint available
 * @param failedTimeout of those, a timeout (a vanished host)
 * @param retries retry attempts sent
 * @param budgetExhausted retries refused by the retry budget
 * @param maxHits the most attempts any request made
 * @param ejections ejections reported to the listener, per backend
 * @param panicSeconds simulated seconds spent in panic mode
 * @param seconds simulated seconds of the whole run
 * @param perBackend attempts sent to each backend
 * @param afterRestart attempts sent to backends after they came back up or stopped failing, summed
 * @param p50 median latency of successful requests
 * @param p99 99th percentile latency of successful requests
 * @param failedP99 99th percentile latency of failed requests (0 if none)
 * @param allP99 99th percentile latency of all requests, failed ones included
 * @param inFlightAtEnd requests the balancer still counted in flight after the run (must be 0)
 */
public record FaultResult(String scenario, long seed, int requests, int failed, int failed503, int failedConnect,
    int failedNoEndpoint, int failedTimeout, int retries, int budgetExhausted, int maxHits, int[] ejections,
    double panicSeconds, double seconds, long[] perBackend, long afterRestart, double p50, double p99,
    double failedP99, double allP99, int inFlightAtEnd) {

  /** Share of requests that succeeded, 0..1. */
  public double successRate() {
    return requests == 0 ? 0 : 1.0 - (double) failed / requests;
  }
}
