package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.policy.MaglevTable;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long a hash policy takes to rebuild its lookup structure when the eligible set changes:
 * {@link MaglevTable#build} at 65,537 and 655,373 slots, and a ring hash picker
 * ({@code Policies.ringHash(min, 8_388_608).newPicker}) at minimum ring sizes 1,024 and 65,536, a
 * stable ring ({@code Policies.stableRingHash()}: 160 entries per unit of weight) and Maglev with
 * bounded load (the same table plus one wrapper per endpoint), for 10, 100 and 1,000 endpoints with
 * equal weights or mixed weights (1..10).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class TableBuildBenchmark {

  /** Number of endpoints. */
  @Param({"10", "100", "1000"})
  public int endpoints;

  /** "equal" (all 1) or "mixed" (1..10). */
  @Param({"equal", "mixed"})
  public String weights;

  /** Maglev table size (prime). */
  @Param({"65537", "655373"})
  public int maglevSlots;

  /** Ring hash minimum ring size. */
  @Param({"1024", "65536"})
  public int ringMin;

  private List<Endpoint> list;
  private List<StaticView> views;
  private Policy ringHash;
  private Policy stableRing;
  private Policy boundedMaglev;

  /** Builds the endpoint list, its views and the ring hash policy. */
  @Setup(Level.Trial)
  public void setUp() {
    list = endpoints(endpoints, weights);
    views = StaticView.of(list);
    ringHash = Policies.ringHash(ringMin, 8_388_608);
    stableRing = Policies.stableRingHash();
    boundedMaglev = Policies.maglev(maglevSlots, PolicyNames.BALANCE_FACTOR);
  }

  /** {@code n} endpoints {@code 10.x.y.z:8080}, weights all 1 ({@code "equal"}) or 1..10 ({@code "mixed"}). */
  static List<Endpoint> endpoints(int n, String weights) {
    List<Endpoint> list = new ArrayList<>(n);
    for (Endpoint e : PickBenchmark.endpoints(n)) {
      list.add(weights.equals("equal") ? e.withWeight(1) : e.withWeight(1 + list.size() * 7 % 10));
    }
    return list;
  }

  /** Maglev build; run with {@code -p ringMin=1024} to avoid duplicate runs. */
  @Benchmark
  public MaglevTable maglev() {
    return MaglevTable.build(list, maglevSlots);
  }

  /** Ring hash build; run with {@code -p maglevSlots=65537} to avoid duplicate runs. */
  @Benchmark
  public Picker ringHash() {
    return ringHash.newPicker(views);
  }

  /** Stable ring build (160 per weight); run with {@code -p maglevSlots=65537 -p ringMin=1024}. */
  @Benchmark
  public Picker stableRing() {
    return stableRing.newPicker(views);
  }

  /** Bounded-load Maglev picker build; run with {@code -p ringMin=1024}. */
  @Benchmark
  public Picker maglevBounded() {
    return boundedMaglev.newPicker(views);
  }
}
