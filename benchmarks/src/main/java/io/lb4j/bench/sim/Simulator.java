package io.lb4j.bench.sim;

import io.lb4j.bench.PolicyNames;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The policy simulator ("lb4j-sim"): runs every {@link Scenario#standard() standard scenario} for
 * every policy through lb4j's real load balancer, outlier detector and retry budget on simulated
 * time, prints one table per scenario and writes one self-contained HTML report.
 *
 * <p>Usage: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.sim.Simulator
 * [--quick] [--seed N] [--out report.html] [scenario ...]}. {@code --quick} runs only a 10 s
 * homogeneous scenario (a few seconds). Default output {@code benchmarks/target/lb4j-sim-report.html}.
 * Stateless apart from one run; not for concurrent use.
 */
public final class Simulator {

  private Simulator() {}

  /** Runs the simulator; see the class comment. */
  public static void main(String[] args) throws IOException {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // ejection logs would flood the tables
    boolean quick = false;
    long seed = 1;
    Path out = Path.of("benchmarks", "target", "lb4j-sim-report.html");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> names.add(args[i]);
      }
    }
    List<Scenario> scenarios = quick ? List.of(Scenario.homogeneous(10)) : Scenario.standard();
    if (!names.isEmpty()) {
      scenarios = scenarios.stream().filter(s -> names.contains(s.name())).toList();
      if (scenarios.isEmpty()) {
        throw new IllegalArgumentException("no scenario named " + names + "; known: "
            + Scenario.standard().stream().map(Scenario::name).toList());
      }
    }
    long t0 = System.nanoTime();
    Map<Scenario, List<SimResult>> results = run(scenarios, PolicyNames.ALL, seed);
    print(System.out, results);
    Path written = write(out, results, String.format(Locale.ROOT, "seed %d, %d attempts max, retry budget on, "
        + "outlier detection on (sweep every 1 s); %.1f s wall time", seed, Simulation.MAX_ATTEMPTS,
        (System.nanoTime() - t0) / 1e9));
    System.out.println("HTML report: " + written.toAbsolutePath());
  }

  /** Runs each scenario for each policy, scenario by scenario, with the same seed for every run. */
  public static Map<Scenario, List<SimResult>> run(List<Scenario> scenarios, List<String> policies, long seed) {
    Map<Scenario, List<SimResult>> results = new LinkedHashMap<>();
    for (Scenario s : scenarios) {
      List<SimResult> rs = new ArrayList<>();
      for (String p : policies) {
        rs.add(new Simulation(s, p, seed).run());
      }
      results.put(s, rs);
    }
    return results;
  }

  /** Prints one table per scenario. */
  public static void print(PrintStream out, Map<Scenario, List<SimResult>> results) {
    for (Map.Entry<Scenario, List<SimResult>> e : results.entrySet()) {
      Scenario s = e.getKey();
      out.printf("%n== %s: %s (%d s simulated)%n", s.name(), s.description(), s.durationSeconds());
      out.printf("%-26s %9s %9s %9s %8s %8s %6s %8s %11s  %s%n", "policy", "p50 ms", "p99 ms", "p99.9 ms", "errors",
          "retries", "ejects", "max/mean", "home % a/k", "attempts per backend");
      for (SimResult r : e.getValue()) {
        if (r.skipped() != null) {
          out.printf("%-26s skipped: %s%n", r.policy(), r.skipped());
          continue;
        }
        out.printf(Locale.ROOT, "%-26s %9.1f %9.1f %9.1f %7.3f%% %8d %6d %8.2f %11s  %s%n", r.policy(), r.p50(),
            r.p99(), r.p999(), 100 * r.errorRate(), r.retries(), r.ejections(), r.maxOverMean(), home(r),
            Arrays.toString(r.perBackend()));
      }
      if (SlowedLoad.applies(s)) {
        out.printf("backend 0 (slowed from t=%.0f s), attempts/s: while slow, while not, fair share, busiest second "
            + "/ fair; then per %d s from t=0%n", s.backends().get(SlowedLoad.BACKEND).slowdown().fromSeconds(),
            SlowedLoad.BUCKET_SECONDS);
        for (SimResult r : e.getValue()) {
          if (r.skipped() == null) {
            SlowedLoad l = SlowedLoad.of(s, r);
            out.printf(Locale.ROOT, "%-26s %6.0f %6s %6.0f %5.2f   %s%n", r.policy(), l.slowPerSecond(),
                Double.isNaN(l.fastPerSecond()) ? "-" : String.format(Locale.ROOT, "%.0f", l.fastPerSecond()),
                l.fairPerSecond(), l.busiest(), SlowedLoad.series(s, r));
          }
        }
      }
      out.printf("Q: %s%nA: %s%n", s.question(), Findings.answer(s, e.getValue()));
    }
  }

  /**
   * Other keys at home, "attempts/keys" in percent ({@link SimResult#homeShare()} and
   * {@link SimResult#homeKeyShare()}), or "-" for a policy that does not hash.
   */
  static String home(SimResult r) {
    return Double.isNaN(r.homeShare()) ? "-"
        : String.format(Locale.ROOT, "%.1f/%.1f", 100 * r.homeShare(), 100 * r.homeKeyShare());
  }

  /** Writes the HTML report, creating parent directories; returns the path. */
  public static Path write(Path file, Map<Scenario, List<SimResult>> results, String subtitle) throws IOException {
    return write(file, null, results, subtitle);
  }

  /**
   * Writes the HTML report with the live demo's run ({@code live}, or null for none) before the
   * scenarios, creating parent directories; returns the path.
   */
  public static Path write(Path file, LiveRun live, Map<Scenario, List<SimResult>> results, String subtitle)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, HtmlReport.render(live, results, subtitle), StandardCharsets.UTF_8);
    return file;
  }
}
