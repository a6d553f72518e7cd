package io.lb4j.policy;

import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Smooth weighted round robin: over each cycle of {@code W = sum of weights} picks, every endpoint
 * gets exactly its {@link EndpointView#effectiveWeight() effective weight} in picks, and its picks
 * are spread evenly through the cycle rather than sent in bursts (weights 3:2 give
 * {@code A B A B A}, never {@code A A A B B}).
 *
 * <p>The schedule is the one an earliest-deadline-first scheduler produces: the k-th pick of the
 * i-th of n endpoints, of weight w, is due at {@code (k + phase_i) / w}, with the phases
 * {@code (2i + 1) / 2n} staggered so that endpoints of equal weight do not fall due together (with
 * one common phase, as in Sainte-Laguë's divisors, weights 1,1,1,10 send the heavy endpoint ten
 * picks in a row across the cycle boundary; staggered, at most five). Every phase lies in (0, 1),
 * so each cycle holds exactly w picks of each endpoint; ties go by list order. Tested bound: in any
 * window of L consecutive picks, an endpoint gets at most {@code ceil(L * w / W) + 1}. It is computed once per picker, after dividing the weights by their greatest common
 * divisor, and then walked by each thread from its own random start, exactly like
 * {@link RoundRobinPolicy} (exact per thread). Slow start re-weights endpoints through {@code effectiveWeight()},
 * which the balancer refreshes by rebuilding the picker.
 *
 * <p>Cost: pick is one thread-local lookup, a compare and an array read, no atomic, no allocation. Build is
 * O(W log n) time and O(W) memory. When W is larger than {@value #MAX_SCHEDULE} slots even after
 * the GCD division, the picker instead draws endpoints at random in proportion to their weights
 * (Walker's alias method, O(1) per pick): the proportions are then exact only on average, and
 * picks are not interleaved.
 */
public final class WeightedRoundRobinPolicy implements Policy {

  /** Longest schedule precomputed, in picks (the array costs 4 bytes per pick). */
  static final int MAX_SCHEDULE = 1 << 18;

  static final WeightedRoundRobinPolicy INSTANCE = new WeightedRoundRobinPolicy();

  private WeightedRoundRobinPolicy() {}

  @Override
  public String name() {
    return "weighted_round_robin";
  }

  /** {@code false}: ignores load. */
  @Override
  public boolean usesInFlight() {
    return false;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    long[] weights = PickerSupport.effectiveWeights(views);
    long gcd = 0;
    long total = 0;
    for (long w : weights) {
      gcd = gcd(gcd, w);
    }
    for (int i = 0; i < weights.length; i++) {
      weights[i] /= gcd;
      total += weights[i];
    }
    if (total > MAX_SCHEDULE) {
      WeightedSampler sampler = new WeightedSampler(weights);
      return ctx -> views[sampler.sample(ThreadLocalRandom.current())];
    }
    EndpointView[] schedule = schedule(views, weights, (int) total);
    return new RoundRobinPolicy.Rotation<>(schedule);
  }

  /**
   * The EDF order of one cycle: each endpoint exactly weights[i] times, evenly spread. The k-th
   * pick of endpoint i is due at {@code (k + phase_i) / w_i} with {@code phase_i = (2i + 1) / 2n}.
   */
  static EndpointView[] schedule(EndpointView[] views, long[] weights, int total) {
    int n = views.length;
    long[] picked = new long[n];
    // Due times (2nk + 2i + 1) / (2n w) compared exactly in integers (below 2^56: n, k and w are
    // at most MAX_SCHEDULE = 2^18); ties by index.
    long twoN = 2L * n;
    PriorityQueue<Integer> due = new PriorityQueue<>(n, (a, b) -> {
      int c = Long.compare((twoN * picked[a] + 2 * a + 1) * weights[b], (twoN * picked[b] + 2 * b + 1) * weights[a]);
      return c != 0 ? c : Integer.compare(a, b);
    });
    for (int i = 0; i < n; i++) {
      due.add(i);
    }
    EndpointView[] schedule = new EndpointView[total];
    for (int s = 0; s < total; s++) {
      int i = due.poll();
      schedule[s] = views[i];
      picked[i]++;
      due.add(i);
    }
    return schedule;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return name();
  }
}
