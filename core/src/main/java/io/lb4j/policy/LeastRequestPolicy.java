package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Least request, with Envoy's semantics.
 *
 * <ul>
 *   <li><b>Equal weights</b>: draw {@code choiceCount} <em>distinct</em> endpoints at random and
 *       take the one with the fewest requests in flight (the first drawn wins a tie). With
 *       {@code choiceCount >= n} every endpoint is compared. Envoy may draw the same endpoint twice;
 *       here the draws walk the list from a random start with a random stride coprime to n, so
 *       they are distinct and each endpoint is equally likely to be among them.
 *   <li><b>Unequal weights</b>: each pick goes to endpoint i with probability proportional to
 *       {@code weight_i / (inFlight_i + 1)^activeRequestBias}, Envoy's effective weight. Envoy
 *       schedules those dynamic weights with an EDF scheduler under a lock; lb4j gets the same
 *       proportions without one by rejection sampling: draw a candidate in proportion to its weight
 *       (alias method, O(1)) and accept it with probability {@code 1 / (inFlight + 1)^bias}. When
 *       every endpoint is busy and {@value #MAX_DRAWS} draws in a row are rejected, the candidate
 *       with the best effective weight among them is taken. With no load every draw is accepted,
 *       so weights 1:4 split 20 %/80 %. {@code activeRequestBias = 0} ignores load and equals
 *       {@link WeightedRoundRobinPolicy}, as in Envoy.
 * </ul>
 *
 * <p>Weights are {@link EndpointView#effectiveWeight()} (after slow start). Cost per pick: equal
 * weights, {@code choiceCount} random draws and volatile reads; unequal weights, typically one or
 * two draws (at most {@value #MAX_DRAWS}), with {@code Math.pow} only when the bias is neither 0
 * nor 1. No lock, no allocation. Building is O(n).
 */
public final class LeastRequestPolicy implements Policy {

  /** Draws before the unequal-weights picker stops rejecting and takes the best it saw. */
  static final int MAX_DRAWS = 16;

  private final int choiceCount;
  private final double activeRequestBias;

  LeastRequestPolicy(int choiceCount, double activeRequestBias) {
    if (choiceCount < 2) {
      throw new IllegalArgumentException("choiceCount must be >= 2, was " + choiceCount);
    }
    if (!(activeRequestBias >= 0.0) || Double.isInfinite(activeRequestBias)) {
      throw new IllegalArgumentException("activeRequestBias must be a finite number >= 0, was " + activeRequestBias);
    }
    this.choiceCount = choiceCount;
    this.activeRequestBias = activeRequestBias;
  }

  /** Endpoints compared per pick when weights are equal. */
  public int choiceCount() {
    return choiceCount;
  }

  /** The exponent of {@code inFlight + 1} in the effective weight when weights differ. */
  public double activeRequestBias() {
    return activeRequestBias;
  }

  @Override
  public String name() {
    return "least_request";
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    if (PickerSupport.equalWeights(views)) {
      return new BestOfDistinct(views, choiceCount);
    }
    if (activeRequestBias == 0.0) {
      return WeightedRoundRobinPolicy.INSTANCE.newPicker(eligible);
    }
    return new LoadWeighted(views, activeRequestBias);
  }

  @Override
  public String toString() {
    return "least_request(choiceCount=" + choiceCount + ", activeRequestBias=" + activeRequestBias + ")";
  }

  /** Best of k distinct random endpoints by in-flight count. */
  private static final class BestOfDistinct implements Picker {
    private final EndpointView[] views;
    private final int draws;
    private final int[] strides; // every stride in 1..n-1 coprime to n

    BestOfDistinct(EndpointView[] views, int choiceCount) {
      this.views = views;
      int n = views.length;
      this.draws = Math.min(choiceCount, n);
      int count = 0;
      int[] s = new int[n - 1];
      for (int t = 1; t < n; t++) {
        if (gcd(t, n) == 1) {
          s[count++] = t;
        }
      }
      this.strides = java.util.Arrays.copyOf(s, count);
    }

    @Override
    public EndpointView pick(io.lb4j.PickContext ctx) {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      int n = views.length;
      int i = rnd.nextInt(n);
      int stride = strides[rnd.nextInt(strides.length)];
      EndpointView best = views[i];
      int bestLoad = best.inFlight();
      for (int d = 1; d < draws; d++) {
        i += stride;
        if (i >= n) {
          i -= n;
        }
        EndpointView v = views[i];
        int load = v.inFlight();
        if (load < bestLoad) {
          best = v;
          bestLoad = load;
        }
      }
      return best;
    }

    private static int gcd(int a, int b) {
      while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
      }
      return a;
    }
  }

  /** Weighted draws accepted with probability 1 / (inFlight + 1)^bias. */
  private static final class LoadWeighted implements Picker {
    private final EndpointView[] views;
    private final long[] weights;
    private final WeightedSampler sampler;
    private final double bias;
    private final boolean linear;

    LoadWeighted(EndpointView[] views, double bias) {
      this.views = views;
      this.weights = PickerSupport.effectiveWeights(views);
      this.sampler = new WeightedSampler(weights);
      this.bias = bias;
      this.linear = bias == 1.0;
    }

    @Override
    public EndpointView pick(io.lb4j.PickContext ctx) {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      int best = -1;
      double bestScore = -1;
      for (int d = 0; d < MAX_DRAWS; d++) {
        int i = sampler.sample(rnd);
        int load = views[i].inFlight();
        if (load <= 0) {
          return views[i];
        }
        double accept = linear ? 1.0 / (load + 1) : Math.pow(load + 1, -bias);
        if (rnd.nextDouble() < accept) {
          return views[i];
        }
        double score = weights[i] * accept;
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      }
      return views[best];
    }
  }
}
