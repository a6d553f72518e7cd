package io.lb4j.bench.sim;

import io.lb4j.health.HealthCheckConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Sizing the health settings for fleets of 3, 10 and 100 backends (issue 16): one fault mix per
 * size, run through the {@link FaultSimulator}'s simulation (lb4j's real balancer, outlier detector,
 * health checker, retry policy and budget on simulated time) with lb4j's defaults and a few
 * alternatives, one setting changed at a time, then the recommended settings for that size.
 *
 * <p>The fault mix ({@link #scenario}): 10 % of the backends (at least one) are hosts that vanish a
 * quarter into the run (connections and probes time out after the 1 s connect timeout), one
 * backend flaps (5 s serving, 5 s answering every request with a 503, its health endpoint passing
 * throughout), and from 10 backends up one answers 5× slower (50 ms); the rest answer in 10 ms
 * (×0.5..1.5). Backends have finite capacity (2 requests at once, 20 queued, beyond that an
 * immediate 503) and requests arrive at random whatever the fleet does, so a fleet that loses
 * capacity overloads. Each row is the mean over seeds 1..N ({@code worst}: the seed with the most
 * failures); P2C and the probe jitter draw from {@code ThreadLocalRandom}, so rows vary a little
 * between runs.
 *
 * <p>Usage: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.sim.SizingStudy
 * [--seeds N] [--scale F] [size ...]} (default 10 seeds, scale 1, sizes 3 10 100). {@code --scale}
 * multiplies the requests per run (a smoke run uses a small one). At scale 1 a run of 3 backends
 * takes about 0.2 s, of 10 about 0.6 s, of 100 (840,000 requests) a few seconds.
 */
public final class SizingStudy {

  /** The fleet sizes studied. */
  public static final List<Integer> SIZES = List.of(3, 10, 100);

  private static final double SERVICE_MS = 10;
  private static final int CONCURRENCY = 2;
  private static final int QUEUE = 20;
  private static final int SECONDS = 60;
  /** Each flapping window, serving or failing. */
  private static final double FLAP_MS = 5_000;
  /** Share of the run after which the dead hosts vanish. */
  private static final double DIES_AT = 0.25;

  private SizingStudy() {}

  /** Runs the study; see the class comment. */
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error"); // ejection logs would flood the table
    int seeds = 10;
    double scale = 1;
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seeds" -> seeds = Integer.parseInt(args[++i]);
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        default -> sizes.add(Integer.parseInt(args[i]));
      }
    }
    PrintStream out = System.out;
    for (int size : sizes.isEmpty() ? SIZES : sizes) {
      FaultScenario base = scenario(size, scale);
      out.printf(Locale.ROOT, "== %d backends: %s%n", size, base.description());
      out.printf("%-18s %8s %8s %8s %8s %8s %9s %8s %8s %9s %8s%n", "settings", "failed", "worst", "lost/run",
          "p99 ms", "ok p99", "retries%", "refused", "timeouts", "ejections", "panic s");
      List<FaultSettings> variants = variants(size);
      for (FaultSettings settings : variants) {
        out.println(row(settings.label(), summarize(base.with(settings), seeds)));
      }
      for (FaultSettings settings : variants) {
        out.println("  " + settings.describe());
      }
      out.println();
    }
  }

  /**
   * The fault mix for a fleet of {@code size}: see the class comment. Each backend serves
   * {@value #CONCURRENCY} requests at once and queues {@value #QUEUE} more (beyond: an immediate 503);
   * requests arrive at random at {@link #utilization} of the fleet's capacity, for about
   * {@value #SECONDS} s simulated at scale 1.
   */
  public static FaultScenario scenario(int size, double scale) {
    if (size < 3) {
      throw new IllegalArgumentException("size must be >= 3 (a dead, a flapping and a healthy backend), was " + size);
    }
    int dead = Math.max(1, size / 10);
    boolean slow = size >= 10;
    List<FaultBackend> fleet = new ArrayList<>();
    for (int i = 0; i < dead; i++) {
      fleet.add(FaultBackend.healthy("dead " + i, SERVICE_MS).vanishing(DIES_AT));
    }
    fleet.add(FaultBackend.healthy("flapping", SERVICE_MS).flapping(FLAP_MS));
    if (slow) {
      fleet.add(FaultBackend.healthy("slow", SERVICE_MS * 5));
    }
    while (fleet.size() < size) {
      fleet.add(FaultBackend.healthy("healthy " + fleet.size(), SERVICE_MS));
    }
    double perSecond = utilization(size) * size * CONCURRENCY * 1000 / SERVICE_MS;
    int requests = Math.max(100, (int) Math.round(perSecond * SECONDS * scale));
    String description = String.format(Locale.ROOT, "%d of %d hosts vanish at 1/4 (1 s connect timeout), 1 flaps "
        + "(5 s up / 5 s all 503)%s; %.0f %% busy (%,.0f req/s), %,d GETs", dead, size,
        slow ? ", 1 is 5x slower" : "", 100 * utilization(size), perSecond, requests);
    return new FaultScenario("sizing-" + size, description, fleet, 0, perSecond, requests, CONCURRENCY, QUEUE,
        FaultSettings.defaults());
  }

  /**
   * How busy the fleet is with every backend healthy: 40 % for 3 backends (two can carry the load),
   * 60 % up to 10, 70 % beyond (larger fleets run with less spare).
   */
  public static double utilization(int size) {
    return size <= 3 ? 0.4 : size <= 10 ? 0.6 : 0.7;
  }

  /**
   * The settings compared at a size: nothing on, lb4j's defaults, one change at a time, then the
   * recommended ones.
   */
  public static List<FaultSettings> variants(int size) {
    FaultSettings d = FaultSettings.defaults();
    return List.of(
        d.toBuilder().label("nothing on").outlierDetection(false).healthCheck(null).build(),
        d,
        d.toBuilder().label("maxAttempts 3").maxAttempts(3).build(),
        d.toBuilder().label("checks 1 s").healthCheck(fastChecks()).build(),
        d.toBuilder().label("no active checks").healthCheck(null).build(),
        d.toBuilder().label("cap 30 %").maxEjectionPercent(30).build(),
        d.toBuilder().label("ejection 5 s").baseEjectionTime(Duration.ofSeconds(5)).build(),
        d.toBuilder().label("panic 0.75").panicThreshold(0.75).build(),
        d.toBuilder().label("panic off").panicThreshold(0).build(),
        d.toBuilder().label("budget 50 %").retryBudget(0.5, 10).build(),
        recommended(size));
  }

  /**
   * The settings the README recommends for a fleet of {@code size}, from this study: up to 3
   * backends, panic threshold 0.75 and checks every 1 s; up to 10, checks every 1 s; beyond, lb4j's
   * defaults.
   */
  public static FaultSettings recommended(int size) {
    FaultSettings.Builder b = FaultSettings.defaults().toBuilder().label("recommended");
    if (size <= 10) {
      b.healthCheck(fastChecks());
    }
    if (size <= 3) {
      b.panicThreshold(0.75);
    }
    return b.build();
  }

  /** Checks every 1 s, timeout 500 ms, 2 failures mark unhealthy, 2 passes healthy. */
  static HealthCheckConfig fastChecks() {
    return HealthCheckConfig.builder().interval(Duration.ofSeconds(1)).timeout(Duration.ofMillis(500))
        .unhealthyThreshold(2).healthyThreshold(2).build();
  }

  /**
   * Means over seeds 1..{@code seeds} of one scenario.
   *
   * @param failed share of requests that reached the caller as failures
   * @param worstFailed the highest share in one seed
   * @param lost requests that reached the caller as failures, per run
   * @param p99 caller-seen p99 of all requests, failed ones included (ms; the mean of each run's)
   * @param okP99 p99 of successful requests (ms; the mean of each run's)
   * @param retries retries sent per request
   * @param refused retries the budget refused, per run
   * @param timeouts requests that failed with a timeout, per run
   * @param ejections ejections reported per run
   * @param panicSeconds simulated seconds in panic mode per run
   */
  public record Summary(double failed, double worstFailed, double lost, double p99, double okP99, double retries,
      double refused, double timeouts, double ejections, double panicSeconds) {}

  /** Runs one scenario for seeds 1..{@code seeds} and averages; checks that no request leaked. */
  public static Summary summarize(FaultScenario scenario, int seeds) {
    double failed = 0;
    double worst = 0;
    double lost = 0;
    double p99 = 0;
    double okP99 = 0;
    double retries = 0;
    double refused = 0;
    double timeouts = 0;
    double ejections = 0;
    double panic = 0;
    for (FaultResult r : FaultSimulator.runSeeds(scenario, seeds)) {
      if (r.inFlightAtEnd() != 0 || r.requests() != scenario.requests()) {
        throw new IllegalStateException("a run lost requests or in-flight counts: " + r);
      }
      double share = (double) r.failed() / r.requests();
      failed += share / seeds;
      worst = Math.max(worst, share);
      lost += (double) r.failed() / seeds;
      p99 += r.allP99() / seeds;
      okP99 += r.p99() / seeds;
      retries += (double) r.retries() / r.requests() / seeds;
      refused += (double) r.budgetExhausted() / seeds;
      timeouts += (double) r.failedTimeout() / seeds;
      ejections += (double) Arrays.stream(r.ejections()).sum() / seeds;
      panic += r.panicSeconds() / seeds;
    }
    return new Summary(failed, worst, lost, p99, okP99, retries, refused, timeouts, ejections, panic);
  }

  private static String row(String label, Summary s) {
    return String.format(Locale.ROOT, "%-18s %7.3f%% %7.3f%% %8.1f %8.1f %8.1f %8.1f%% %8.1f %8.1f %9.1f %8.2f",
        label, 100 * s.failed(), 100 * s.worstFailed(), s.lost(), s.p99(), s.okP99(), 100 * s.retries(),
        s.refused(), s.timeouts(), s.ejections(), s.panicSeconds());
  }
}
