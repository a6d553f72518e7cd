package io.lb4j.bench.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The fault simulator (issue 10 §1): runs each {@link FaultScenario} for a number of seeds through
 * lb4j's real balancer, outlier detector, health checker, retry policy and retry budget on simulated
 * time, and prints one line per scenario (means over the seeds, worst success rate, sums of the
 * failure kinds).
 *
 * <p>Usage: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.sim.FaultSimulator
 * [--seeds N] [--max-attempts N] [--panic F] [scenario ...]} (default 20 seeds, every scenario, each
 * with its own settings; {@code --max-attempts} and {@code --panic} override the attempts per request
 * and the panic threshold in all of them). Takes a few seconds.
 */
public final class FaultSimulator {

  private FaultSimulator() {}

  /** Runs the fault simulator; see the class comment. */
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // ejection logs would flood the table
    int seeds = 20;
    Integer maxAttempts = null;
    Double panic = null;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seeds" -> seeds = Integer.parseInt(args[++i]);
        case "--max-attempts" -> maxAttempts = Integer.parseInt(args[++i]);
        case "--panic" -> panic = Double.parseDouble(args[++i]);
        default -> names.add(args[i]);
      }
    }
    List<FaultScenario> scenarios = new ArrayList<>();
    for (FaultScenario s : FaultScenario.all()) {
      if (names.isEmpty() || names.contains(s.name())) {
        FaultSettings.Builder settings = s.settings().toBuilder();
        if (maxAttempts != null) {
          settings.maxAttempts(maxAttempts);
        }
        if (panic != null) {
          settings.panicThreshold(panic);
        }
        scenarios.add(s.with(settings.build()));
      }
    }
    if (scenarios.isEmpty()) {
      throw new IllegalArgumentException("no scenario named " + names + "; known: "
          + FaultScenario.all().stream().map(FaultScenario::name).toList());
    }
    PrintStream out = System.out;
    out.printf("%-18s %8s %8s %7s %6s %6s %6s %7s %7s %4s %-18s %7s %7s %7s %7s %8s %8s%n", "scenario", "success",
        "worst", "failed", "503", "conn", "no-ep", "retries", "budget", "hits", "ejections", "panic s", "sim s",
        "p50 ms", "p99 ms", "fail p99", "restart");
    for (FaultScenario s : scenarios) {
      print(out, s, runSeeds(s, seeds));
    }
  }

  /** Runs the scenario once per seed 1..seeds. */
  public static List<FaultResult> runSeeds(FaultScenario scenario, int seeds) {
    List<FaultResult> results = new ArrayList<>();
    for (long seed = 1; seed <= seeds; seed++) {
      results.add(run(scenario, seed));
    }
    return results;
  }

  /** Runs the scenario once. */
  public static FaultResult run(FaultScenario scenario, long seed) {
    return new FaultSimulation(scenario, seed).run();
  }

  private static void print(PrintStream out, FaultScenario s, List<FaultResult> rs) {
    int n = rs.size();
    double success = 0;
    double worst = 1;
    long failed = 0;
    long f503 = 0;
    long conn = 0;
    long noEp = 0;
    long retries = 0;
    long budget = 0;
    int hits = 0;
    double[] ejections = new double[s.backends().size()];
    double panic = 0;
    double seconds = 0;
    double p50 = 0;
    double p99 = 0;
    double failP99 = 0;
    double restarted = 0;
    for (FaultResult r : rs) {
      success += r.successRate() / n;
      worst = Math.min(worst, r.successRate());
      failed += r.failed();
      f503 += r.failed503();
      conn += r.failedConnect();
      noEp += r.failedNoEndpoint();
      retries += r.retries();
      budget += r.budgetExhausted();
      hits = Math.max(hits, r.maxHits());
      for (int i = 0; i < ejections.length; i++) {
        ejections[i] += (double) r.ejections()[i] / n;
      }
      panic += r.panicSeconds() / n;
      seconds += r.seconds() / n;
      p50 += r.p50() / n;
      p99 += r.p99() / n;
      failP99 = Math.max(failP99, r.failedP99());
      restarted += (double) r.afterRestart() / n;
    }
    String ej = Arrays.toString(Arrays.stream(ejections).mapToObj(x -> String.format(Locale.ROOT, "%.1f", x))
        .toArray()).replace(" ", "");
    out.printf(Locale.ROOT, "%-18s %7.2f%% %7.2f%% %7.1f %6.1f %6.1f %6.1f %7.1f %7.1f %4d %-18s %7.2f %7.2f %7.1f %7.1f %8.1f %8.0f%n",
        s.name(), 100 * success, 100 * worst, (double) failed / n, (double) f503 / n, (double) conn / n,
        (double) noEp / n, (double) retries / n, (double) budget / n, hits, ej, panic, seconds, p50, p99, failP99,
        restarted);
  }
}
