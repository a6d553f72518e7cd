package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.util.function.Predicate;

/** Statistical checks on pick counts. */
public final class Shares {

  /** Standard deviations a count may stray: a correct picker fails about once in 1.7 million runs. */
  public static final double SIGMAS = 5.0;

  private Shares() {}

  /** Picks {@code picks} times, releasing each at once as a success; returns how many picks {@code which} matched. */
  public static int count(LoadBalancer lb, int picks, Predicate<Endpoint> which) {
    int hits = 0;
    for (int i = 0; i < picks; i++) {
      Selection s = lb.pick();
      hits += which.test(s.endpoint()) ? 1 : 0;
      s.release(Outcome.SUCCESS, 1_000);
    }
    return hits;
  }

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
