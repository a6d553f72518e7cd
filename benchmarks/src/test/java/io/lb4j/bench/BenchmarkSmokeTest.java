package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
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
    Options opts = new OptionsBuilder()
        .include(PickBenchmark.class.getName() + "." + methods)
        .param("policy", policy)
        .param("endpoints", endpoints)
        .param("outlierDetection", outlierDetection)
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .threads(1)
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(opts).run();
    assertEquals(expected, results.size());
    for (RunResult r : results) {
      double nsPerOp = r.getPrimaryResult().getScore();
      assertTrue(nsPerOp > 0 && nsPerOp < 1_000_000, "ns/op out of range: " + nsPerOp);
    }
  }

  @Test
  void okHttpTlsOverheadBenchmarkRunsBothSides() throws Exception {
    Options opts = new OptionsBuilder()
        .include(OkHttpTlsOverheadBenchmark.class.getName() + ".(plain|balanced)$")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(200))
        .threads(1)
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(opts).run();
    assertEquals(2, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark() + " made no call");
    }
  }

  @Test
  void everyPolicyNameResolves() {
    for (String name : PolicyNames.ALL) {
      assertFalse(PolicyNames.of(name).name().isBlank(), name);
    }
  }
}
