package io.lb4j.bench.sim;

/**
 * What one (scenario, policy) run produced. Latencies are caller-seen (retries included), in
 * milliseconds.
 *
 * @param scenario scenario name
 * @param policy policy name
 * @param skipped null, or why the policy could not run
 * @param requests requests that completed (successfully or not)
 * @param errors requests that failed after every attempt
 * @param retries retry attempts made (within the retry budget)
 * @param ejections outlier-detection ejections
 * @param p50 median latency
 * @param p99 99th percentile
 * @param p999 99.9th percentile
 * @param perBackend attempts sent to each backend
 * @param cdf latency at quantiles {@code (i + 1) / cdf.length}, ascending
 * @param perSecond attempts per backend per simulated second: {@code [backend][second]}
 * @param homeShare for hash policies, the share of attempts with a key other than the hot key that
 *     went to the key's home backend (where the policy sends it with nothing in flight); NaN for
 *     other policies
 * @param homeKeyShare for hash policies, the share of those keys (with at least one attempt) that
 *     had more than half of their attempts at home; NaN for other policies
 */
public record SimResult(String scenario, String policy, String skipped, long requests, long errors, long retries,
    int ejections, double p50, double p99, double p999, long[] perBackend, double[] cdf, int[][] perSecond,
    double homeShare, double homeKeyShare) {

  /** A policy that could not run (e.g. not implemented yet). */
  static SimResult skipped(String scenario, String policy, String why) {
    return new SimResult(scenario, policy, why, 0, 0, 0, 0, 0, 0, 0, new long[0], new double[0], new int[0][],
        Double.NaN, Double.NaN);
  }

  /** Errors per completed request (0 when none completed). */
  public double errorRate() {
    return requests == 0 ? 0 : (double) errors / requests;
  }

  /** The busiest backend's attempts over the mean (1.0 = perfectly even). */
  public double maxOverMean() {
    long sum = 0;
    long max = 0;
    for (long n : perBackend) {
      sum += n;
      max = Math.max(max, n);
    }
    return sum == 0 ? 0 : max / ((double) sum / perBackend.length);
  }
}
