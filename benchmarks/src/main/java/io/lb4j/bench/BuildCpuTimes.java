package io.lb4j.bench;

import io.grpc.EquivalentAddressGroup;
import io.lb4j.Endpoint;
import io.lb4j.policy.MaglevTable;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Hash-policy builds timed in thread CPU time: the minimum and median over many builds after a
 * warm-up. On a machine shared with other busy processes, wall-clock time (JMH) counts the time
 * the thread waits for a core and swings several-fold from run to run; CPU time counts only the
 * thread's own work, so runs of different builds of lb4j compare. It still rises somewhat with load
 * (shared caches, the sibling hyper-thread), so compare rows of one run first. Single-threaded,
 * 1,000 endpoints.
 *
 * <p>Rows: {@link MaglevTable#build} at 65,537 and 655,373 slots, ring hash pickers (Envoy's
 * construction at minimum 1,024, the stable ring), a bounded-load Maglev picker, with equal and
 * mixed (1..10) weights as {@link TableBuildBenchmark}; then lb4j's ring hash picker next to
 * gRPC-java's {@code buildRing} ({@link GrpcRingBuild}) at gRPC's ring sizes, as
 * {@link GrpcRingBuildBenchmark#ring}.
 *
 * <p>Run: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.BuildCpuTimes}.
 */
public final class BuildCpuTimes {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final int ENDPOINTS = 1000;

  /** Keeps results reachable so that the builds are not optimised away. */
  private static Object sink;

  private BuildCpuTimes() {}

  /** Prints one row per build: CPU microseconds, minimum / 25th percentile / median. */
  public static void main(String[] args) {
    System.out.println("build (1,000 endpoints)                                   cpu us: min      p25   median   (reps)");
    for (String weights : List.of("equal", "mixed")) {
      List<Endpoint> list = TableBuildBenchmark.endpoints(ENDPOINTS, weights);
      List<StaticView> views = StaticView.of(list);
      time("maglev table M=65,537, " + weights, 200, () -> MaglevTable.build(list, 65_537));
      time("maglev table M=655,373, " + weights, 20, () -> MaglevTable.build(list, 655_373));
      time("maglev picker, bounded load, " + weights, 200, picker(Policies.maglev(65_537, PolicyNames.BALANCE_FACTOR), views));
      time("ring hash picker, min 1,024, " + weights, 500, picker(Policies.ringHash(1024, 8_388_608), views));
      time("stable ring picker (160/weight), " + weights, 20, picker(Policies.stableRingHash(), views));
    }
    List<Endpoint> loopback = new ArrayList<>();
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (int i = 0; i < ENDPOINTS; i++) {
      loopback.add(Endpoint.of("127.0.0.1", 10_000 + i));
      groups.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 10_000 + i)));
    }
    List<StaticView> views = StaticView.of(loopback);
    for (int min : new int[] {1024, 4096}) {
      int max = GrpcRingBuildBenchmark.GRPC_MAX_RING_SIZE;
      time("lb4j ring hash picker, min " + min + " max " + max, 500, picker(Policies.ringHash(min, max), views));
      GrpcRingBuild grpc = new GrpcRingBuild(groups, min, max);
      time("gRPC-java buildRing, min " + min + " max " + max, 500, grpc::build);
    }
  }

  private static Supplier<Object> picker(Policy policy, List<StaticView> views) {
    return () -> policy.newPicker(views);
  }

  /**
   * Runs {@code build} to warm up ({@code reps} times and at least two seconds), then {@code reps}
   * times measured.
   */
  private static void time(String label, int reps, Supplier<Object> build) {
    long warmUntil = System.nanoTime() + 2_000_000_000L;
    for (int i = 0; i < reps || System.nanoTime() < warmUntil; i++) {
      sink = build.get();
    }
    long[] nanos = new long[reps];
    for (int i = 0; i < reps; i++) {
      long start = THREADS.getCurrentThreadCpuTime();
      sink = build.get();
      nanos[i] = THREADS.getCurrentThreadCpuTime() - start;
    }
    Arrays.sort(nanos);
    System.out.println(String.format(Locale.ROOT, "%-58s %9.1f %8.1f %8.1f   (%d)",
        label, nanos[0] / 1e3, nanos[reps / 4] / 1e3, nanos[reps / 2] / 1e3, reps));
  }
}
