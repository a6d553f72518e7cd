package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
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
    Collection<RunResult> results = runShort(PickBenchmark.class.getName() + "." + methods, 100,
        "policy", policy, "endpoints", endpoints, "outlierDetection", outlierDetection);
    assertEquals(expected, results.size());
    for (RunResult r : results) {
      double nsPerOp = r.getPrimaryResult().getScore();
      assertTrue(nsPerOp > 0 && nsPerOp < 1_000_000, "ns/op out of range: " + nsPerOp);
    }
  }

  /**
   * Runs the benchmarks matching {@code include} in this JVM, one measured iteration of
   * {@code millis} each, no warm-up, with the given parameter name/value pairs.
   */
  private static Collection<RunResult> runShort(String include, long millis, String... params) throws Exception {
    ChainedOptionsBuilder opts = new OptionsBuilder()
        .include(include)
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(millis))
        .threads(1)
        .shouldFailOnError(true);
    for (int i = 0; i < params.length; i += 2) {
      opts.param(params[i], params[i + 1]);
    }
    return new Runner(opts.build()).run();
  }

  @Test
  void okHttpTlsOverheadBenchmarkRunsBothSides() throws Exception {
    Collection<RunResult> results = runShort(OkHttpTlsOverheadBenchmark.class.getName() + ".(plain|balanced)$", 200);
    assertEquals(2, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " made no call");
    }
  }

  @Test
  void grpcRingBuildBenchmarkReachesBothRings() throws Exception {
    // Also guards the reflective handle on gRPC's private buildRing across gRPC upgrades.
    Collection<RunResult> results = runShort(GrpcRingBuildBenchmark.class.getName() + ".(ring|reResolve)$", 100,
        "minRingSize", "1024", "endpoints", "100");
    assertEquals(4, results.size()); // two benchmarks x two policies
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " " + r.getParams());
    }
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
