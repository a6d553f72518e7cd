package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Statistical checks on pick counts. */
public final class Shares {

  /** Standard deviations a count may stray: a correct picker fails about once in 1.7 million runs. */
  public static final double SIGMAS = 5.0;

  private Shares() {}

  /**
   * Asserts that {@code hits} of {@code trials} independent picks is a plausible count for a share of
   * {@code p}: within {@value #SIGMAS} standard deviations of the binomial mean {@code trials * p}.
   */
  public static void assertBinomial(long hits, long trials, double p, String what) {
    double mean = trials * p;
    double bound = SIGMAS * Math.sqrt(trials * p * (1 - p));
    assertTrue(Math.abs(hits - mean) <= bound, String.format(
        "%s: %d of %d picks (%.2f %%), expected %.2f %% +- %.2f %% (%.0f sigma binomial bound)",
        what, hits, trials, 100.0 * hits / trials, 100 * p, 100 * bound / trials, SIGMAS));
  }
}
