package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.EndpointHandle;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.policy.Policies;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pick throughput per thread with plain threads, outside JMH: a cross-check of
 * {@code PickBenchmark}'s 2-thread rows that separates what a pick costs from what its selection's
 * fate costs. Modes, over a random-policy balancer of {@code n} endpoints (weights 1..4):
 *
 * <ul>
 *   <li>{@code choose}: {@code lb.choose(EMPTY)}, nothing counted;
 *   <li>{@code pick}: pick + release, the selection used only inside the loop body (it can be
 *       scalar-replaced, as in a synchronous call);
 *   <li>{@code escaping}: pick + release, the selection kept past the iteration (allocated, as in
 *       an asynchronous call that holds it);
 *   <li>{@code handle}: {@code chooseHandle} + {@code acquire} + {@code release}, a transport
 *       adapter's path.
 * </ul>
 *
 * Usage: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.ThreadScaling
 * <endpoints> <mode> <threads> [millis]}; prints ns per operation per thread for three measured
 * rounds after one warm-up round.
 */
public final class ThreadScaling {

  private ThreadScaling() {}

  /** Runs one mode; see the class comment for the arguments. */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 3) {
      throw new IllegalArgumentException("usage: ThreadScaling <endpoints> <choose|pick|escaping|handle> <threads> [millis]");
    }
    int n = Integer.parseInt(args[0]);
    String mode = args[1];
    int threads = Integer.parseInt(args[2]);
    long millis = args.length > 3 ? Long.parseLong(args[3]) : 1_500;
    for (double ns : run(n, mode, threads, millis, 3)) {
      System.out.printf(Locale.ROOT, "%s endpoints=%d threads=%d: %.1f ns/op per thread%n", mode, n, threads, ns);
    }
  }

  /** Ns per operation per thread for {@code rounds} measured rounds of {@code millis}, after one warm-up round. */
  static double[] run(int n, String mode, int threads, long millis, int rounds) throws InterruptedException {
    if (!List.of("choose", "pick", "escaping", "handle").contains(mode)) {
      throw new IllegalArgumentException("mode must be choose, pick, escaping or handle, was " + mode);
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      endpoints.add(Endpoint.of("10.0." + (i / 250) + "." + (i % 250 + 1), 80).withWeight(1 + i % 4));
    }
    double[] out = new double[rounds];
    try (LoadBalancer lb = LoadBalancer.builder().name("scaling").endpoints(endpoints).policy(Policies.random()).build()) {
      for (int round = -1; round < rounds; round++) {
        LongAdder ops = new LongAdder();
        Thread[] ts = new Thread[threads];
        long end = System.nanoTime() + millis * 1_000_000;
        for (int t = 0; t < threads; t++) {
          ts[t] = new Thread(() -> ops.add(loop(lb, mode, end)), "scaling-" + t);
          ts[t].start();
        }
        for (Thread t : ts) {
          t.join();
        }
        if (round >= 0) {
          out[round] = millis * 1e6 * threads / Math.max(1, ops.sum());
        }
      }
    }
    return out;
  }

  private static long loop(LoadBalancer lb, String mode, long end) {
    long count = 0;
    Object kept = null;
    while (System.nanoTime() < end) { // bounded by the round's end
      for (int k = 0; k < 1_000; k++) {
        switch (mode) {
          case "choose" -> kept = lb.choose(PickContext.EMPTY);
          case "pick" -> {
            Selection s = lb.pick(PickContext.EMPTY);
            s.release(Outcome.SUCCESS, 1_000L);
            kept = s.endpoint();
          }
          case "escaping" -> {
            Selection s = lb.pick(PickContext.EMPTY);
            s.release(Outcome.SUCCESS, 1_000L);
            kept = s;
          }
          default -> {
            EndpointHandle h = lb.chooseHandle(PickContext.EMPTY);
            h.acquire();
            h.release(Outcome.SUCCESS, 1_000L);
            kept = h;
          }
        }
      }
      count += 1_000;
    }
    return kept == null ? 0 : count;
  }
}
