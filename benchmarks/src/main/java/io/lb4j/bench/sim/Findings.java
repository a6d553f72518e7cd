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
    if (SlowedLoad.applies(scenario)) {
      String slowed = slowed(scenario, ran);
      if (slowed != null) {
        return slowed;
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
    String odd = "";
    if (scenario.backends().size() > 1 && !scenario.backends().get(0).equals(scenario.backends().get(1))) {
      SimResult least = ran.stream().min(Comparator.comparingDouble(r -> share0(r))).orElseThrow();
      SimResult most0 = ran.stream().max(Comparator.comparingDouble(r -> share0(r))).orElseThrow();
      odd = String.format(Locale.ROOT, "backend 0 received from %s (%s) to %s (%s) of attempts (an even share is %s); ",
          percent(share0(least)), least.policy(), percent(share0(most0)), most0.policy(),
          percent(1.0 / scenario.backends().size()));
    }
    return String.format(Locale.ROOT, "%sp99 ranges from %.1f ms (%s) to %.1f ms (%s), and %s.", odd, best.p99(),
        best.policy(), worst.p99(), worst.policy(), errors);
  }

  /** Backend 0's share of a run's attempts. */
  private static double share0(SimResult r) {
    long sum = 0;
    for (long n : r.perBackend()) {
      sum += n;
    }
    return sum == 0 ? 0 : (double) r.perBackend()[0] / sum;
  }

  /**
   * What the live run shows, in one sentence: how much of the load the slow backend got under each
   * policy, the p99 that followed, and the errors callers saw despite the failing and dying backends.
   */
  static String live(LiveRun run) {
    List<LiveRun.PolicyRun> ran = run.policies().stream().filter(p -> p.skipped() == null).toList();
    if (ran.isEmpty()) {
      return "no policy ran.";
    }
    StringBuilder s = new StringBuilder(run.slowBackend() >= 0 ? "" : "Across policies, ");
    if (run.slowBackend() >= 0) {
      int slow = run.slowBackend();
      s.append("The slow backend (").append(run.backends().get(slow)).append(") received ")
          .append(liveRange(ran, p -> p.share(slow), Findings::percent))
          .append(" of attempts (an even share is ").append(percent(1.0 / run.backends().size())).append("), ");
    }
    LiveRun.PolicyRun fewest = ran.stream().min(Comparator.comparingLong(LiveRun.PolicyRun::errors)).orElseThrow();
    LiveRun.PolicyRun most = ran.stream().max(Comparator.comparingLong(LiveRun.PolicyRun::errors)).orElseThrow();
    long[] requests = ran.stream().mapToLong(LiveRun.PolicyRun::requests).sorted().toArray();
    s.append("p99 ranged ").append(liveRange(ran, LiveRun.PolicyRun::p99, v -> String.format(Locale.ROOT, "%.1f ms", v)))
        .append(", and callers saw ")
        .append(fewest.errors() == most.errors()
            ? fewest.errors() + " failed requests under every policy"
            : "from " + fewest.errors() + " (" + fewest.policy() + ") to " + most.errors() + " (" + most.policy()
                + ") failed requests")
        .append(String.format(Locale.ROOT, " (out of %,d to %,d per policy)", requests[0], requests[requests.length - 1]))
        .append(ran.stream().allMatch(p -> p.errors() * 100 <= p.requests())
            ? ", retries and ejections absorbing the failing and dying backends' errors."
            : ", more than 1 % for some policy despite retries and ejections.");
    return s.toString();
  }

  /** "x (policy)" or "from x (policy) to y (policy)" over the live runs, formatted. */
  private static String liveRange(List<LiveRun.PolicyRun> rs, ToDoubleFunction<LiveRun.PolicyRun> value,
      java.util.function.DoubleFunction<String> format) {
    LiveRun.PolicyRun lo = rs.stream().min(Comparator.comparingDouble(value)).orElseThrow();
    LiveRun.PolicyRun hi = rs.stream().max(Comparator.comparingDouble(value)).orElseThrow();
    String a = format.apply(value.applyAsDouble(lo));
    String b = format.apply(value.applyAsDouble(hi));
    return a.equals(b) ? a + " under every policy"
        : "from " + a + " (" + lo.policy() + ") to " + b + " (" + hi.policy() + ")";
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

  /**
   * Round robin, P2C and peak EWMA on the slowed backend: its share while slow and the p99, or for an
   * oscillating one its load per phase and busiest second; null if one of the three did not run.
   */
  private static String slowed(Scenario scenario, List<SimResult> ran) {
    SimResult rr = find(ran, "round_robin");
    SimResult p2c = find(ran, "p2c");
    SimResult peak = find(ran, "peak_ewma");
    if (rr == null || p2c == null || peak == null) {
      return null;
    }
    SlowedLoad lr = SlowedLoad.of(scenario, rr);
    SlowedLoad lp = SlowedLoad.of(scenario, p2c);
    SlowedLoad le = SlowedLoad.of(scenario, peak);
    if (scenario.backends().get(SlowedLoad.BACKEND).slowdown().periodSeconds() == 0) {
      return String.format(Locale.ROOT, "round robin keeps sending backend 0 its share once it is slow (%s of "
          + "requests, p99 %.1f ms); P2C, counting requests in flight, cuts that to %s (p99 %.1f ms); peak EWMA, "
          + "which also weighs latency, to %s (p99 %.1f ms: %.2fx round robin's, %.2fx P2C's).",
          percent(lr.slowShare()), rr.p99(), percent(lp.slowShare()), p2c.p99(), percent(le.slowShare()),
          peak.p99(), peak.p99() / rr.p99(), peak.p99() / p2c.p99());
    }
    return String.format(Locale.ROOT, "round robin sends backend 0 its share (%.0f/s) whether it is slow or not "
        + "(p99 %.1f ms); P2C follows its in-flight count at once (%s, p99 %.1f ms); peak EWMA keeps it at %s and "
        + "eases it back in rather than flooding it: its busiest second after the first slowdown is %.2fx its "
        + "fair share (P2C %.2fx), p99 %.1f ms.", lr.fairPerSecond(), rr.p99(), lp.perPhase(), p2c.p99(),
        le.perPhase(), le.busiest(), lp.busiest(), peak.p99());
  }

  private static SimResult find(List<SimResult> rs, String policy) {
    return rs.stream().filter(r -> r.policy().equals(policy)).findFirst().orElse(null);
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
