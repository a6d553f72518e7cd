package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prints how evenly the hash policies spread keys and how many keys move when the endpoint set
 * changes, and how closely the weighted policies follow their weights. Deterministic (fixed keys);
 * prints Markdown tables ready for BENCHMARKS.md.
 *
 * <ul>
 *   <li>Ring hash (Envoy's default minimum of 1,024 entries, 100 and 1,000 entries per endpoint),
 *       the stable ring (160 and 1,000 entries per weight) and Maglev (65,537 slots) at N = 8, 64,
 *       512 equal endpoints: max/mean and min/mean keys per endpoint over 1,000,000 keys, and the
 *       fraction of keys that move when one endpoint is removed or one added, next to the ideal
 *       1/N (resp. 1/(N+1)), and how many of those moved between endpoints that did not change
 *       (ideal 0). Bounded-load variants pick exactly as these while no endpoint is over its bound,
 *       so they share these rows.
 *   <li>The stable ring's entries per weight (40..1,000) at N = 64: spread against ring size.
 *   <li>Weighted round robin and least request (2 choices, bias 1.0) with weights 1:2:5 through a
 *       real {@link LoadBalancer}, each request released at once and with 8 outstanding: observed
 *       share vs weight share.
 * </ul>
 *
 * <p>Run: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.DistributionReport}
 * (about a minute). A policy that is not implemented yet is reported as skipped.
 */
public final class DistributionReport {

  static final int KEYS = 1_000_000;
  static final int WEIGHTED_PICKS = 800_000;

  private DistributionReport() {}

  /** Entry point; takes no arguments. */
  public static void main(String[] args) {
    PrintStream out = System.out;
    long[] hashes = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      hashes[i] = PickContext.hashKey("key-" + i);
    }
    out.println("### Hash policies: load spread and disruption (" + KEYS + " keys, equal weights)");
    out.println();
    out.println("| policy | N | max/mean | min/mean | moved on remove | between others | ideal 1/N "
        + "| moved on add | between others | ideal 1/(N+1) |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int n : new int[] {8, 64, 512}) {
      hashRow(out, "ring hash, Envoy default (min 1024)", Policies.ringHash(), n, hashes);
      hashRow(out, "ring hash, 100/endpoint", Policies.ringHash(100 * n, 8_388_608), n, hashes);
      hashRow(out, "ring hash, 1000/endpoint", Policies.ringHash(1000 * n, 8_388_608), n, hashes);
      hashRow(out, "stable ring, 160/weight", Policies.stableRingHash(), n, hashes);
      hashRow(out, "stable ring, 1000/weight", Policies.stableRingHash(1000), n, hashes);
      hashRow(out, "maglev 65537", Policies.maglev(), n, hashes);
    }
    out.println();
    out.println("### Stable ring: entries per weight at N = 64 (" + KEYS + " keys)");
    out.println();
    out.println("| entries per weight | ring entries | max/mean | min/mean | moved on add | between others |");
    out.println("|---:|---:|---:|---:|---:|---:|");
    for (int k : new int[] {40, 100, 160, 400, 1000}) {
      stableRow(out, k, hashes);
    }
    out.println();
    out.println("### Weighted policies: share with weights 1:2:5 (" + WEIGHTED_PICKS + " picks)");
    out.println();
    out.println("| policy | requests outstanding | weight 1 | weight 2 | weight 5 |");
    out.println("|---|---:|---:|---:|---:|");
    out.println("| ideal | | 12.50 % | 25.00 % | 62.50 % |");
    for (int outstanding : new int[] {0, 8}) {
      weightedRow(out, "weighted round robin", Policies.weightedRoundRobin(), outstanding);
      weightedRow(out, "least request (2, 1.0)", Policies.leastRequest(2, 1.0), outstanding);
    }
  }

  private static void hashRow(PrintStream out, String label, Policy policy, int n, long[] hashes) {
    List<Endpoint> base = endpoints(n + 1);
    List<Endpoint> all = base.subList(0, n);
    List<Endpoint> removed = new ArrayList<>(all);
    Endpoint gone = removed.remove(n / 2);
    Endpoint added = base.get(n);
    Endpoint[] before = assign(policy, all, hashes);
    Endpoint[] afterRemove = assign(policy, removed, hashes);
    Endpoint[] afterAdd = assign(policy, base, hashes);
    double[] spread = spread(before, all);
    out.printf("| %s | %d | %.3f | %.3f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", label, n, spread[0], spread[1],
        moved(before, afterRemove), movedBetweenOthers(before, afterRemove, gone), 1.0 / n,
        moved(before, afterAdd), movedBetweenOthers(before, afterAdd, added), 1.0 / (n + 1));
  }

  private static void stableRow(PrintStream out, int entriesPerWeight, long[] hashes) {
    int n = 64;
    List<Endpoint> base = endpoints(n + 1);
    List<Endpoint> all = base.subList(0, n);
    Policy policy = Policies.stableRingHash(entriesPerWeight);
    Endpoint[] before = assign(policy, all, hashes);
    Endpoint[] afterAdd = assign(policy, base, hashes);
    double[] spread = spread(before, all);
    out.printf("| %d | %d | %.3f | %.3f | %.4f | %.4f |%n", entriesPerWeight, entriesPerWeight * n, spread[0],
        spread[1], moved(before, afterAdd), movedBetweenOthers(before, afterAdd, base.get(n)));
  }

  /** {max/mean, min/mean} keys per endpoint. */
  private static double[] spread(Endpoint[] chosen, List<Endpoint> endpoints) {
    Map<Endpoint, Integer> load = new HashMap<>();
    for (Endpoint e : chosen) {
      load.merge(e, 1, Integer::sum);
    }
    int max = 0;
    int min = Integer.MAX_VALUE;
    for (Endpoint e : endpoints) {
      int c = load.getOrDefault(e, 0);
      max = Math.max(max, c);
      min = Math.min(min, c);
    }
    double mean = (double) chosen.length / endpoints.size();
    return new double[] {max / mean, min / mean};
  }

  private static Endpoint[] assign(Policy policy, List<Endpoint> endpoints, long[] hashes) {
    Picker picker = policy.newPicker(StaticView.of(endpoints));
    Endpoint[] chosen = new Endpoint[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      EndpointView v = picker.pick(PickContext.ofHash(hashes[i]));
      chosen[i] = v.endpoint();
    }
    return chosen;
  }

  /**
   * Fraction of keys that moved although neither their old nor their new endpoint is {@code changed}
   * (the endpoint removed or added): moves a minimal-disruption hash would not make.
   */
  private static double movedBetweenOthers(Endpoint[] a, Endpoint[] b, Endpoint changed) {
    int moved = 0;
    for (int i = 0; i < a.length; i++) {
      if (!a[i].equals(b[i]) && !a[i].equals(changed) && !b[i].equals(changed)) {
        moved++;
      }
    }
    return (double) moved / a.length;
  }

  private static double moved(Endpoint[] a, Endpoint[] b) {
    int moved = 0;
    for (int i = 0; i < a.length; i++) {
      if (!a[i].equals(b[i])) {
        moved++;
      }
    }
    return (double) moved / a.length;
  }

  /**
   * One weighted row; {@code outstanding} requests stay in flight (released oldest first), so least
   * request also sees load: with equal service times it then shifts share to lighter endpoints.
   */
  private static void weightedRow(PrintStream out, String label, Policy policy, int outstanding) {
    List<Endpoint> eps = List.of(Endpoint.of("127.0.0.1", 9001).withWeight(1),
        Endpoint.of("127.0.0.1", 9002).withWeight(2), Endpoint.of("127.0.0.1", 9005).withWeight(5));
    try (LoadBalancer lb = LoadBalancer.builder().name("report").endpoints(eps).policy(policy).build()) {
      Map<Endpoint, Integer> counts = new HashMap<>();
      ArrayDeque<Selection> inFlight = new ArrayDeque<>();
      for (int i = 0; i < WEIGHTED_PICKS; i++) {
        if (outstanding > 0 && inFlight.size() == outstanding) {
          inFlight.poll().release(Outcome.SUCCESS, 1_000_000L);
        }
        Selection s = lb.pick();
        counts.merge(s.endpoint(), 1, Integer::sum);
        if (outstanding == 0) {
          s.release(Outcome.SUCCESS, 1_000_000L);
        } else {
          inFlight.add(s);
        }
      }
      inFlight.forEach(s -> s.release(Outcome.SUCCESS, 1_000_000L));
      out.printf("| %s | %d | %.2f %% | %.2f %% | %.2f %% |%n", label, outstanding,
          100.0 * counts.getOrDefault(eps.get(0), 0) / WEIGHTED_PICKS,
          100.0 * counts.getOrDefault(eps.get(1), 0) / WEIGHTED_PICKS,
          100.0 * counts.getOrDefault(eps.get(2), 0) / WEIGHTED_PICKS);
    } catch (UnsupportedOperationException e) {
      out.printf("| %s | %d | skipped: %s | | |%n", label, outstanding, e.getMessage());
    }
  }

  /** {@code n} distinct endpoints of weight 1. */
  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>(n);
    for (Endpoint e : PickBenchmark.endpoints(n)) {
      list.add(e.withWeight(1));
    }
    return list;
  }
}
