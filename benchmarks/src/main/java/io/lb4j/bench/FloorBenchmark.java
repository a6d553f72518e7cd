package io.lb4j.bench;

import io.lb4j.PickContext;
import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under {@link PickBenchmark}: what the operations a pick + release is made of cost on
 * this machine, with no balancer around them, over 512 endpoints. Run it in the same JMH invocation
 * as {@code PickBenchmark} (e.g. {@code '(FloorBenchmark|PickBenchmark.pick)'}) so that the facade's
 * cost is read as a difference within one run.
 *
 * <ul>
 *   <li>{@code randomDraw}: one {@link ThreadLocalRandom} draw and an array read (random's floor).
 *   <li>{@code p2cChoice}: the P2C picker alone over static views (two draws, four reads).
 *   <li>{@code maglevLookup}: the Maglev picker alone with a precomputed hash (one remainder, one read).
 *   <li>{@code hashKey16}: XXH64 of a 16-character ASCII key ({@link PickContext#hashKey}).
 *   <li>{@code maglevKey16}: the two above together.
 *   <li>{@code atomicAdd}: one uncontended {@code getAndAdd} on a field of a thread's own object (what
 *       an in-flight or outcome counter costs when no other core writes its line).
 *   <li>{@code threadLocalGet}: one {@link ThreadLocal#get()} hit.
 *   <li>{@code allocate24}: one 24-byte object that escapes (what an unrecycled selection costs).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class FloorBenchmark {

  private static final int ENDPOINTS = 512;

  private EndpointView[] views;
  private Picker p2c;
  private Picker maglev;
  private PickContext[] hashes;
  private String[] keys;
  private final ThreadLocal<Counter> local = ThreadLocal.withInitial(Counter::new);

  /** A thread's own counter, for the uncontended atomic. */
  @State(Scope.Thread)
  public static class Counter {
    private static final VarHandle VALUE;

    static {
      try {
        VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // accessed through VALUE
    private volatile long value;
  }

  /** What {@code allocate24} makes: header plus three 4-byte fields, like a selection. */
  public record Small(Object a, Object b, int c) {}

  /** Builds the views, the pickers, the hashes and the keys. */
  @Setup(Level.Trial)
  public void setUp() {
    List<StaticView> list = StaticView.of(PickBenchmark.endpoints(ENDPOINTS));
    views = list.toArray(new EndpointView[0]);
    p2c = Policies.powerOfTwoChoices().newPicker(list);
    maglev = Policies.maglev().newPicker(list);
    hashes = PickBenchmark.hashes(42);
    keys = PickBenchmark.keys(42);
  }

  /** One thread-local random draw and an array read. */
  @Benchmark
  public EndpointView randomDraw() {
    return views[ThreadLocalRandom.current().nextInt(views.length)];
  }

  /** The P2C picker alone. */
  @Benchmark
  public EndpointView p2cChoice() {
    return p2c.pick(PickContext.EMPTY);
  }

  /** The Maglev picker alone, precomputed hash. */
  @Benchmark
  public EndpointView maglevLookup(PickBenchmark.Cursor c) {
    return maglev.pick(hashes[c.next()]);
  }

  /** XXH64 of a 16-character key. */
  @Benchmark
  public long hashKey16(PickBenchmark.Cursor c) {
    return PickContext.hashKey(keys[c.next()]);
  }

  /** Hash a 16-character key, then the Maglev picker. */
  @Benchmark
  public EndpointView maglevKey16(PickBenchmark.Cursor c) {
    return maglev.pick(PickContext.ofKey(keys[c.next()]));
  }

  /** One uncontended atomic add. */
  @Benchmark
  public long atomicAdd(Counter c) {
    return (long) Counter.VALUE.getAndAdd(c, 1L);
  }

  /** One thread-local lookup. */
  @Benchmark
  public Counter threadLocalGet() {
    return local.get();
  }

  /** One 24-byte allocation that escapes. */
  @Benchmark
  public Small allocate24() {
    return new Small(views, this, 1);
  }
}
