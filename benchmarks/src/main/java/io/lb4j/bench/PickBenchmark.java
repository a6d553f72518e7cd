package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.FakeClock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
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
 * One {@link LoadBalancer#pick(PickContext)} plus its {@link Selection#release} through the real
 * facade, for every policy and endpoint count, with and without outlier detection (which adds the
 * per-outcome bookkeeping on release). Run with {@code -t 2} for the contended case.
 *
 * <ul>
 *   <li>{@code pick}: no request hash (hash policies then pick at random).
 *   <li>{@code pickHash}: a precomputed hash ({@link PickContext#ofHash}), cycling over 1,024.
 *   <li>{@code pickKey}: {@link PickContext#ofKey} on a 16-character key, hashing included.
 *   <li>{@code pickByKey}: {@link LoadBalancer#pick(CharSequence)} on the same keys: no context
 *       object on any call path.
 *   <li>{@code pickEscaping}: as {@code pick}, but the selection is released by a method the JIT
 *       may not inline (a callback, an asynchronous completion), so it escapes: the allocation an
 *       asynchronous caller pays.
 *   <li>{@code pickHashLoaded}: as {@code pickHash}, but each thread keeps {@code 2 * endpoints}
 *       requests in flight (releasing its oldest before each pick), so bounded-load policies read
 *       the balancer's total and sometimes spill: compare {@code maglev_bounded} with {@code maglev}
 *       here for the cost of bounding load (the goal is at most 2x).
 *   <li>{@code pickHotKeyLoaded}: the same load, but every request carries one key, so bounded-load
 *       policies spill on nearly every pick: the cost of the spill path (Envoy's seeded shuffle).
 * </ul>
 *
 * Weights are mixed (1..4) so weighted policies do real work. Every release reports 1 µs, so
 * {@code peak_ewma} pays its full release cost (a ticker read and an {@code exp}) and compares two
 * estimates with different stamps on every pick. Besides the default list,
 * {@code -p policy=ring_hash_64k} (see {@link PolicyNames#BENCHMARK_ONLY}) runs Envoy's ring with a
 * minimum of 65,536 entries.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PickBenchmark {

  /** How many precomputed hashes and keys {@link Cursor} cycles over (a power of two). */
  static final int KEYS = 1024;

  /** Policy name, see {@link PolicyNames}. */
  @Param({"random", "round_robin", "weighted_round_robin", "p2c", "least_request", "peak_ewma", "ring_hash",
      "ring_hash_bounded", "ring_hash_stable", "ring_hash_stable_bounded", "maglev", "maglev_bounded"})
  public String policy;

  /** Number of endpoints. */
  @Param({"8", "64", "512", "4096"})
  public int endpoints;

  /** The endpoints' weights: {@code mixed} (1..4 in turn), {@code equal} (all 1) or {@code one_heavy}. */
  @Param({"mixed"})
  public String weights;

  /** Whether the balancer has outlier detection (Envoy defaults). */
  @Param({"false", "true"})
  public boolean outlierDetection;

  private final FakeClock clock = new FakeClock();
  private LoadBalancer lb;
  private PickContext[] hashes;
  private String[] keys;

  /** Per-thread cursor over the precomputed hashes and keys (JMH state; one per thread). */
  @State(Scope.Thread)
  public static class Cursor {
    int i;

    int next() {
      i = (i + 1) & (KEYS - 1);
      return i;
    }
  }

  /** Per-thread requests kept in flight by the loaded benchmarks, oldest released first. */
  @State(Scope.Thread)
  public static class InFlight {
    Selection[] held;
    int next;

    /** Sizes the window to twice the endpoint count. */
    @Setup(Level.Trial)
    public void setUp(PickBenchmark bench) {
      held = new Selection[2 * bench.endpoints];
    }

    /** Releases what is still held. */
    @TearDown(Level.Trial)
    public void tearDown() {
      for (Selection s : held) {
        if (s != null) {
          s.release(Outcome.SUCCESS, 1_000L);
        }
      }
    }

    Endpoint hold(LoadBalancer lb, PickContext ctx) {
      Selection oldest = held[next];
      if (oldest != null) {
        oldest.release(Outcome.SUCCESS, 1_000L);
      }
      Selection s = lb.pick(ctx);
      held[next] = s;
      next = next + 1 == held.length ? 0 : next + 1;
      return s.endpoint();
    }
  }

  /**
   * Builds the balancer and the precomputed hashes and keys. Its scheduler is a fake clock that is
   * never advanced: no sweep or rebuild runs during the measurement.
   */
  @Setup(Level.Trial)
  public void setUp() {
    LoadBalancer.Builder b = LoadBalancer.builder()
        .name("bench")
        .endpoints(endpoints(endpoints, weights))
        .policy(PolicyNames.of(policy))
        .ticker(clock)
        .scheduler(clock);
    if (outlierDetection) {
      b.outlierDetection(OutlierDetectionConfig.defaults());
    }
    lb = b.build();
    hashes = hashes(42);
    keys = keys(42);
  }

  /** Closes the balancer. */
  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
  }

  /** Pick without a hash, then release. */
  @Benchmark
  public Endpoint pick() {
    Selection s = lb.pick(PickContext.EMPTY);
    s.release(Outcome.SUCCESS, 1_000L);
    return s.endpoint();
  }

  /** Pick with a precomputed hash, then release. */
  @Benchmark
  public Endpoint pickHash(Cursor cursor) {
    Selection s = lb.pick(hashes[cursor.next()]);
    s.release(Outcome.SUCCESS, 1_000L);
    return s.endpoint();
  }

  /** Hash a 16-character key ({@link PickContext#ofKey}), pick, then release. */
  @Benchmark
  public Endpoint pickKey(Cursor cursor) {
    Selection s = lb.pick(PickContext.ofKey(keys[cursor.next()]));
    s.release(Outcome.SUCCESS, 1_000L);
    return s.endpoint();
  }

  /** Hash a 16-character key inside the balancer ({@link LoadBalancer#pick(CharSequence)}), pick, release. */
  @Benchmark
  public Endpoint pickByKey(Cursor cursor) {
    Selection s = lb.pick(keys[cursor.next()]);
    s.release(Outcome.SUCCESS, 1_000L);
    return s.endpoint();
  }

  /** Pick without a hash; the release happens in a method that is never inlined. */
  @Benchmark
  public Endpoint pickEscaping() {
    Selection s = lb.pick(PickContext.EMPTY);
    releaseElsewhere(s);
    return s.endpoint();
  }

  @CompilerControl(CompilerControl.Mode.DONT_INLINE)
  private static void releaseElsewhere(Selection s) {
    s.release(Outcome.SUCCESS, 1_000L);
  }

  /** Pick with a precomputed hash while {@code 2 * endpoints} requests stay in flight. */
  @Benchmark
  public Endpoint pickHashLoaded(Cursor cursor, InFlight inFlight) {
    return inFlight.hold(lb, hashes[cursor.next()]);
  }

  /** Pick one hot key while {@code 2 * endpoints} requests (all of that key) stay in flight. */
  @Benchmark
  public Endpoint pickHotKeyLoaded(InFlight inFlight) {
    return inFlight.hold(lb, hashes[0]);
  }

  /** {@code n} loopback-style endpoints with weights 1..4 (never contacted). */
  static List<Endpoint> endpoints(int n) {
    return endpoints(n, "mixed");
  }

  /** {@code n} never-contacted endpoints weighted as {@code weights} says (see {@link #weights}). */
  static List<Endpoint> endpoints(int n, String weights) {
    List<Endpoint> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int w = switch (weights) {
        case "mixed" -> 1 + i % 4;
        case "equal" -> 1;
        case "one_heavy" -> i == 0 ? 100 : 1;
        default -> throw new IllegalArgumentException("weights must be mixed, equal or one_heavy, was " + weights);
      };
      list.add(Endpoint.of("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), 8080).withWeight(w));
    }
    return list;
  }

  /** {@link #KEYS} precomputed hashes, seeded: the pick benchmarks' and floors' request hashes. */
  static PickContext[] hashes(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    PickContext[] hashes = new PickContext[KEYS];
    for (int i = 0; i < KEYS; i++) {
      hashes[i] = PickContext.ofHash(random.nextLong());
    }
    return hashes;
  }

  /** {@link #KEYS} random 16-character lower-case keys, seeded. */
  static String[] keys(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    String[] keys = new String[KEYS];
    char[] c = new char[16];
    for (int i = 0; i < KEYS; i++) {
      for (int j = 0; j < c.length; j++) {
        c[j] = (char) ('a' + random.nextInt(26));
      }
      keys[i] = new String(c);
    }
    return keys;
  }
}
