package io.lb4j.bench.sim;

import io.lb4j.bench.PolicyNames;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The one-sentence answer to a scenario's {@link Scenario#question() question}, computed from that
 * scenario's results so that the report says what its table shows. Stateless.
 */
final class Findings {

  private Findings() {}

  /** The answer for {@code scenario} given its results (skipped runs ignored). */
  static String answer(Scenario scenario, List<SimResult> results) {
    List<SimResult> ran = results.stream().filter(r -> r.skipped() == null).toList();
    if (ran.isEmpty()) {
      return "no policy ran.";
    }
    if (scenario.hotKeyShare() > 0) {
      String hot = hotKey(scenario, ran);
      if (hot != null) {
        return hot;
      }
    }
    SimResult best = ran.stream().min(Comparator.comparingDouble(SimResult::p99)).orElseThrow();
    SimResult worst = ran.stream().max(Comparator.comparingDouble(SimResult::p99)).orElseThrow();
    SimResult fewest = ran.stream().min(Comparator.comparingDouble(SimResult::errorRate)).orElseThrow();
    SimResult most = ran.stream().max(Comparator.comparingDouble(SimResult::errorRate)).orElseThrow();
    String errors = percent(fewest.errorRate()).equals(percent(most.errorRate()))
        ? "caller-seen errors are " + percent(most.errorRate()) + " for every policy"
        : "caller-seen errors range from " + percent(fewest.errorRate()) + " (" + fewest.policy() + ") to "
            + percent(most.errorRate()) + " (" + most.policy() + ")";
    return String.format(Locale.ROOT, "p99 ranges from %.1f ms (%s) to %.1f ms (%s), and %s.", best.p99(),
        best.policy(), worst.p99(), worst.policy(), errors);
  }

  /** Plain hash policies against their bounded-load variants; null if either group is missing. */
  private static String hotKey(Scenario scenario, List<SimResult> ran) {
    List<SimResult> plain = ran.stream()
        .filter(r -> PolicyNames.isHash(r.policy()) && !r.policy().endsWith("_bounded")).toList();
    List<SimResult> bounded = ran.stream().filter(r -> r.policy().endsWith("_bounded")).toList();
    if (plain.isEmpty() || bounded.isEmpty()) {
      return null;
    }
    return String.format(Locale.ROOT, "plain hashing sends the hot key (%.0f %% of requests) to one backend, which "
        + "it overloads: errors %s, busiest backend %s the mean; bounded load (factor %.2f) keeps errors at "
        + "%s, the busiest backend at %s the mean, and %s of the other keys' attempts (%s of those keys) on "
        + "their home backend.", 100 * scenario.hotKeyShare(),
        range(plain, SimResult::errorRate, Findings::percent), range(plain, SimResult::maxOverMean, Findings::times),
        PolicyNames.BALANCE_FACTOR, range(bounded, SimResult::errorRate, Findings::percent),
        range(bounded, SimResult::maxOverMean, Findings::times),
        range(bounded, SimResult::homeShare, Findings::percent),
        range(bounded, SimResult::homeKeyShare, Findings::percent));
  }

  /** "x" or "x to y" over the results, formatted. */
  private static String range(List<SimResult> rs, ToDoubleFunction<SimResult> value,
      java.util.function.DoubleFunction<String> format) {
    double lo = rs.stream().mapToDouble(value).min().orElseThrow();
    double hi = rs.stream().mapToDouble(value).max().orElseThrow();
    String a = format.apply(lo);
    String b = format.apply(hi);
    return a.equals(b) ? a : a + " to " + b;
  }

  private static String percent(double fraction) {
    return String.format(Locale.ROOT, fraction < 0.01 ? "%.2f %%" : "%.1f %%", 100 * fraction);
  }

  private static String times(double ratio) {
    return String.format(Locale.ROOT, "%.2fx", ratio);
  }
}
