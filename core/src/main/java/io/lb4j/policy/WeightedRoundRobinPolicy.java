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
 * <p>The schedule is the one an earliest-deadline-first scheduler produces: the k-th pick of an
 * endpoint of weight w is due at {@code (k + 0.5) / w} (the Sainte-Laguë divisors), ties broken by
 * list order. It is computed once per picker, after dividing the weights by their greatest common
 * divisor, and then walked by one atomic counter from a random start, exactly like
 * {@link RoundRobinPolicy}. Slow start re-weights endpoints through {@code effectiveWeight()},
 * which the balancer refreshes by rebuilding the picker.
 *
 * <p>Cost: pick is one atomic increment, one remainder and one array read, no allocation. Build is
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
    return new RoundRobinPolicy.Rotation<>(schedule, ThreadLocalRandom.current().nextInt(schedule.length));
  }

  /** The EDF order of one cycle: each endpoint exactly weights[i] times, evenly spread. */
  static EndpointView[] schedule(EndpointView[] views, long[] weights, int total) {
    int n = views.length;
    long[] picked = new long[n];
    // Compare due times (2k+1)/(2w) exactly in integers; ties by index.
    PriorityQueue<Integer> due = new PriorityQueue<>(n, (a, b) -> {
      int c = Long.compare((2 * picked[a] + 1) * weights[b], (2 * picked[b] + 1) * weights[a]);
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
