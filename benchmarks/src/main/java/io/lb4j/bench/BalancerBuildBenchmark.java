package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.policy.MaglevPolicy;
import io.lb4j.policy.MaglevTable;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the balancer adds to its policy's table when it is built or its list changes, over 1,000
 * endpoints with no health features (weights 1..4):
 *
 * <ul>
 *   <li>{@code build}: {@code LoadBalancer.builder().endpoints(list).policy(p).build()} and {@code close()}.
 *   <li>{@code updateOne}: {@code updateEndpoints} with one endpoint of the 1,000 replaced (the lists
 *       alternate, so every call removes one endpoint and adds one).
 *   <li>{@code maglevTable}: {@link MaglevTable#build} over the same endpoints, so that "beyond its
 *       table" is {@code build(maglev) - maglevTable} within one run.
 * </ul>
 *
 * {@code random} builds no table (its picker copies the list), so its rows are the balancer's own
 * cost. Run with the logger quiet: {@code -jvmArgsAppend -Dorg.slf4j.simpleLogger.defaultLogLevel=warn}
 * (every update logs the removed endpoint at INFO).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class BalancerBuildBenchmark {

  /** Policy name, see {@link PolicyNames}. */
  @Param({"random", "maglev"})
  public String policy;

  /** Number of endpoints. */
  @Param({"1000"})
  public int endpoints;

  private List<Endpoint> list;
  private List<Endpoint> oneChanged;
  private LoadBalancer lb;
  private boolean flip;

  /** Builds the two lists and a balancer over the first. */
  @Setup(Level.Trial)
  public void setUp() {
    list = PickBenchmark.endpoints(endpoints);
    oneChanged = new ArrayList<>(list);
    oneChanged.set(endpoints / 2, PickBenchmark.endpoints(endpoints + 1).get(endpoints));
    lb = LoadBalancer.builder().name("update").endpoints(list).policy(PolicyNames.of(policy)).build();
  }

  /** Closes the balancer. */
  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
  }

  /** Build a balancer over the list, then close it. */
  @Benchmark
  public LoadBalancer build() {
    LoadBalancer built = LoadBalancer.builder().name("build").endpoints(list).policy(PolicyNames.of(policy)).build();
    built.close();
    return built;
  }

  /** Replace one endpoint of the list. */
  @Benchmark
  public LoadBalancer updateOne() {
    flip = !flip;
    lb.updateEndpoints(flip ? oneChanged : list);
    return lb;
  }

  /** The Maglev table alone (65,537 slots) over the list; run with {@code -p policy=maglev}. */
  @Benchmark
  public MaglevTable maglevTable() {
    return MaglevTable.build(list, MaglevPolicy.DEFAULT_TABLE_SIZE);
  }
}
