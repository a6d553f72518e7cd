package io.lb4j.bench.sim;

import java.util.List;

/**
 * What the live demo ({@code io.lb4j.bench.Demo}) measured, for the report to show next to the
 * simulator's scenarios: one run per policy over the same loopback fleet with the same faults.
 * Immutable once built (the arrays are the caller's; do not change them after).
 *
 * @param setup one line saying what the fleet is and what goes wrong in it
 * @param backends backend labels in order, e.g. {@code "b1 slow"}
 * @param slowBackend index of the backend made slow on purpose, or -1 for none
 * @param events what happens when, at a fraction of each policy's run
 * @param secondsPerPolicy how long each policy ran, in seconds
 * @param maxAttempts attempts per request (the first plus retries)
 * @param policies one entry per policy, in run order
 */
public record LiveRun(String setup, List<String> backends, int slowBackend, List<Event> events, double secondsPerPolicy,
    int maxAttempts, List<PolicyRun> policies) {

  /** Copies the lists. */
  public LiveRun {
    backends = List.copyOf(backends);
    events = List.copyOf(events);
    policies = List.copyOf(policies);
  }

  /** What the run shows, in one sentence (the report's closing line for it). */
  public String finding() {
    return Findings.live(this);
  }

  /**
   * Something that happens during every policy's run.
   *
   * @param at when, as a fraction of the run (0..1)
   * @param label what, e.g. {@code "b3 dies"}
   */
  public record Event(double at, String label) {}

  /**
   * One policy's live run. Latencies are caller-seen (retries included), in milliseconds.
   *
   * @param policy policy name
   * @param skipped null, or why the policy could not run
   * @param requests requests that completed (successfully or not)
   * @param errors requests that failed after every attempt
   * @param retries attempts after the first
   * @param ejections outlier-detection ejections
   * @param p50 median latency
   * @param p99 99th percentile
   * @param attempts attempts sent to each backend
   * @param bucketSeconds the length of one time bucket of {@code perBucket}, in seconds
   * @param perBucket attempts per backend per time bucket: {@code [backend][bucket]}
   */
  public record PolicyRun(String policy, String skipped, long requests, long errors, long retries, int ejections,
      double p50, double p99, long[] attempts, double bucketSeconds, int[][] perBucket) {

    /** A policy that could not run. */
    public static PolicyRun skipped(String policy, String why) {
      return new PolicyRun(policy, why, 0, 0, 0, 0, 0, 0, new long[0], 1, new int[0][]);
    }

    /** The share of all attempts that went to {@code backend} (0 when none were made). */
    public double share(int backend) {
      long sum = 0;
      for (long a : attempts) {
        sum += a;
      }
      return sum == 0 ? 0 : (double) attempts[backend] / sum;
    }
  }
}
