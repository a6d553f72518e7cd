package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** CI smoke: the JMH benchmarks compile, register and run (one short in-process iteration). */
class BenchmarkSmokeTest {

  @Test
  void pickBenchmarkRunsOneShortIteration() throws Exception {
    assertRuns("pickHash$", "maglev", "64", "true", 1);
  }

  @Test
  void pickBenchmarkRunsPeakEwma() throws Exception {
    assertRuns("pick$", "peak_ewma", "8", "false", 1);
  }

  @Test
  void loadedPickBenchmarksRunWithBoundedLoad() throws Exception {
    assertRuns("(pickHashLoaded|pickHotKeyLoaded)$", "maglev_bounded", "8", "false", 2);
  }

  /** Runs the matching PickBenchmark methods for one short in-process iteration each. */
  private static void assertRuns(String methods, String policy, String endpoints, String outlierDetection,
      int expected) throws Exception {
    for (RunResult r : run(PickBenchmark.class.getName() + "." + methods, expected, 100,
        "policy", policy, "endpoints", endpoints, "outlierDetection", outlierDetection)) {
      double nsPerOp = r.getPrimaryResult().getScore();
      assertTrue(nsPerOp > 0 && nsPerOp < 1_000_000, "ns/op out of range: " + nsPerOp);
    }
  }

  /**
   * Runs the benchmarks matching {@code include} with these parameters (name, value, ...) for one
   * in-process iteration of {@code millis}, and checks that {@code expected} ran and each scored.
   */
  private static Collection<RunResult> run(String include, int expected, long millis, String... params)
      throws Exception {
    OptionsBuilder opts = new OptionsBuilder();
    opts.include(include).forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(millis)).threads(1).shouldFailOnError(true);
    for (int i = 0; i < params.length; i += 2) {
      opts.param(params[i], params[i + 1]);
    }
    Collection<RunResult> results = new Runner(opts.build()).run();
    assertEquals(expected, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " did nothing");
    }
    return results;
  }

  @Test
  void theDefaultPolicyOverUnequalWeightsRunsIdleAndLoaded() throws Exception {
    run(PickBenchmark.class.getName() + ".(pick|pickHashLoaded)$", 2, 100,
        "policy", "p2c", "weights", "one_heavy", "endpoints", "8", "outlierDetection", "false");
  }

  @Test
  void floorAndHashLookupBenchmarksRunOnThePickBenchmarksKeys() throws Exception {
    run(FloorBenchmark.class.getName() + ".(maglevLookup|maglevKey16)$", 2, 50);
    run(HashLookupBenchmark.class.getName() + ".(maglevPicker|ringPicker)$", 2, 50, "entries", "1024");
  }

  @Test
  void okHttpTlsOverheadBenchmarkRunsBothSidesAndTheFloor() throws Exception {
    run(OkHttpTlsOverheadBenchmark.class.getName() + ".(plain|balanced|rewritten)$", 3, 200);
  }

  @Test
  void okHttpOverheadBenchmarkRunsTheFloorAndManyPaths() throws Exception {
    run(OkHttpOverheadBenchmark.class.getName() + ".(balanced|rewritten)$", 2, 100, "paths", "64");
  }

  @Test
  void interleavedRatioPairsAlternatingRunsAndTakesTheMedian() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Options jmh = new CommandLineOptions("-f", "0", "-wi", "0", "-i", "1", "-r", "100ms", "-prof", "gc");
    InterleavedRatio.Report report = InterleavedRatio.run("OkHttpOverheadBenchmark", "plain", "balanced", 3, jmh,
        new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertEquals(3, report.pairs().size());
    for (InterleavedRatio.Pair p : report.pairs()) {
      assertTrue(p.base() > 0 && p.candidate() > 0, p.toString());
      assertTrue(p.baseBytes() > 0 && p.candidateBytes() > 0, "-prof gc passes through: " + p);
    }
    double[] ratios = report.pairs().stream().mapToDouble(InterleavedRatio.Pair::ratio).sorted().toArray();
    assertEquals(ratios[1], report.medianRatio());
    assertEquals(ratios[0], report.minRatio());
    assertEquals(ratios[2], report.maxRatio());
    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("median ratio balanced/plain: ") && out.contains("3 pairs") && out.contains("median B/op"),
        out);
  }

  @Test
  void callAllocationMeasuresEveryMethodOnTheCallingThread() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Map<String, Double> perCall = CallAllocation.measure("OkHttpOverheadBenchmark", List.of("paths=2"), 100, 100,
        new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertEquals(List.of("balanced", "plain", "rewritten"), List.copyOf(perCall.keySet()));
    for (double bytes : perCall.values()) {
      assertTrue(bytes > 1000 && bytes < 1_000_000, perCall.toString());
    }
    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("[paths=2]") && out.contains("balanced") && out.contains("+"), out);
  }

  @Test
  void theMedianOfEvenAndOddCounts() {
    assertEquals(2.0, InterleavedRatio.median(new double[] {3, 1, 2}));
    assertEquals(2.5, InterleavedRatio.median(new double[] {4, 1, 3, 2}));
    assertTrue(Double.isNaN(InterleavedRatio.median(new double[] {1, Double.NaN})));
    assertTrue(Double.isNaN(InterleavedRatio.median(new double[0])));
  }

  @Test
  void grpcBenchmarksRunLb4jAndGrpcPolicies() throws Exception {
    Options opts = new OptionsBuilder()
        .include(GrpcPickerBenchmark.class.getName() + ".pickAndTrace$")
        .include(GrpcSetupBenchmark.class.getName() + ".setUp$")
        .param("policy", "lb4j_maglev", "ring_hash_experimental")
        .param("endpoints", "8")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .threads(1)
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(opts).run();
    assertEquals(4, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " " + r.getParams());
    }
  }

  @Test
  void grpcRingBuildBenchmarkReachesBothRings() throws Exception {
    // Also guards the reflective handle on gRPC's private buildRing across gRPC upgrades.
    run(GrpcRingBuildBenchmark.class.getName() + ".(ring|reResolve)$", 4, 100, // two benchmarks x two policies
        "minRingSize", "1024", "endpoints", "100");
  }

  @Test
  void threadScalingRunsEveryMode() throws Exception {
    for (String mode : List.of("choose", "pick", "escaping", "handle")) {
      double[] ns = ThreadScaling.run(8, mode, 2, 20, 1);
      assertTrue(ns[0] > 0 && ns[0] < 1_000_000, mode + ": " + ns[0]);
    }
    assertThrows(IllegalArgumentException.class, () -> ThreadScaling.run(8, "nope", 1, 1, 1));
  }

  @Test
  void everyPolicyNameResolves() {
    for (List<String> names : List.of(PolicyNames.ALL, PolicyNames.BENCHMARK_ONLY)) {
      for (String name : names) {
        assertFalse(PolicyNames.of(name).name().isBlank(), name);
      }
    }
  }
}
