package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import io.lb4j.policy.EndpointView;
import io.lb4j.policy.MaglevTable;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
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
 * The hash policies' lookups without the balancer, next to the floors they are measured against,
 * so that one run gives ratios that mean something on a busy machine. 512 equal-weight endpoints;
 * precomputed hashes, 1,024 of them cycled (as {@code PickBenchmark.pickHash}).
 *
 * <ul>
 *   <li>{@code ringPicker}: {@code Policies.ringHash(entries, 8_388_608).newPicker(views).pick(ctx)},
 *       a ring of exactly {@code entries} entries (512 equal endpoints, 2 or 128 each).
 *   <li>{@code ringBinarySearchFloor}: a bare binary search over {@code entries} sorted hashes and
 *       its item read: what a ring lookup cost before the bucket index.
 *   <li>{@code maglevPicker}: {@code Policies.maglev().newPicker(views).pick(ctx)}, 65,537 slots.
 *   <li>{@code maglevTableLookup}: {@link MaglevTable#lookup} on the same endpoints: the slot
 *       computation and the table read alone, to set against the floors below.
 *   <li>{@code maglevRemainderFloor}: {@code table[(int) Long.remainderUnsigned(hash, 65_537)]} on a
 *       bare array: the Maglev lookup as it was (a 64-bit division).
 *   <li>{@code maskFloor}: {@code table[(int) hash & 65_535]}: the floor of any table lookup.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HashLookupBenchmark {

  private static final int MAGLEV_SLOTS = 65_537;

  private long[] hashes;
  private PickContext[] contexts;
  private List<EndpointView> views;
  private Picker maglev;
  private MaglevTable maglevTable;
  private Object[] table;

  /** A ring of {@link #entries} entries and a bare sorted array of as many hashes. */
  @State(Scope.Benchmark)
  public static class Ring {
    /** Ring entries: Envoy's default minimum (1,024) or a 65,536-entry ring. */
    @Param({"1024", "65536"})
    public int entries;

    Picker picker;
    long[] sorted;
    Object[] items;

    /** Builds the ring picker and the bare sorted hashes. */
    @Setup(Level.Trial)
    public void setUp(HashLookupBenchmark bench) {
      picker = Policies.ringHash(entries, 8_388_608).newPicker(bench.views);
      SplittableRandom random = new SplittableRandom(entries);
      sorted = new long[entries];
      for (int i = 0; i < entries; i++) {
        sorted[i] = random.nextLong() ^ Long.MIN_VALUE;
      }
      Arrays.sort(sorted);
      items = new Object[entries];
      for (int i = 0; i < entries; i++) {
        sorted[i] ^= Long.MIN_VALUE; // ascending unsigned
        items[i] = bench.views.get(i % bench.views.size());
      }
    }
  }

  /** Endpoints, hashes, the Maglev picker and a bare table. */
  @Setup(Level.Trial)
  public void setUp() {
    List<Endpoint> list = PickBenchmark.endpoints(512, "equal");
    views = new ArrayList<>(StaticView.of(list));
    contexts = PickBenchmark.hashes(42);
    hashes = new long[contexts.length];
    for (int i = 0; i < contexts.length; i++) {
      hashes[i] = contexts[i].hash();
    }
    maglev = Policies.maglev().newPicker(views);
    maglevTable = MaglevTable.build(list, MAGLEV_SLOTS);
    table = new Object[MAGLEV_SLOTS];
    for (int i = 0; i < MAGLEV_SLOTS; i++) {
      table[i] = views.get(i % views.size());
    }
  }

  /** lb4j's ring lookup through its picker. */
  @Benchmark
  public EndpointView ringPicker(Ring ring, PickBenchmark.Cursor c) {
    return ring.picker.pick(contexts[c.next()]);
  }

  /** Floor: a plain binary search over as many sorted hashes. */
  @Benchmark
  public Object ringBinarySearchFloor(Ring ring, PickBenchmark.Cursor c) {
    long hash = hashes[c.next()];
    long[] hs = ring.sorted;
    int lo = 0;
    int hi = hs.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(hs[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return ring.items[lo == hs.length ? 0 : lo];
  }

  /** lb4j's Maglev lookup through its picker. */
  @Benchmark
  public EndpointView maglevPicker(PickBenchmark.Cursor c) {
    return maglev.pick(contexts[c.next()]);
  }

  /** lb4j's Maglev slot computation and table read. */
  @Benchmark
  public Endpoint maglevTableLookup(PickBenchmark.Cursor c) {
    return maglevTable.lookup(hashes[c.next()]);
  }

  /** Floor: a table read at the hash's unsigned remainder, by 64-bit division. */
  @Benchmark
  public Object maglevRemainderFloor(PickBenchmark.Cursor c) {
    return table[(int) Long.remainderUnsigned(hashes[c.next()], MAGLEV_SLOTS)];
  }

  /** Floor: a table read at the hash's low bits. */
  @Benchmark
  public Object maskFloor(PickBenchmark.Cursor c) {
    return table[(int) hashes[c.next()] & 65_535];
  }
}
