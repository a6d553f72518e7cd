package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Least request, with Envoy's semantics.
 *
 * <ul>
 *   <li><b>Equal weights</b>: draw {@code choiceCount} <em>distinct</em> endpoints at random and
 *       take the one with the fewest requests in flight; a tie goes to a random one of the tied.
 *       Every set of {@code choiceCount} endpoints is equally likely to be the one compared (for 2,
 *       exactly {@link PowerOfTwoChoicesPolicy}; above, Floyd's sampling algorithm). With
 *       {@code choiceCount >= n} every endpoint is compared. Envoy draws with replacement and so
 *       may compare an endpoint with itself; lb4j does not.
 *   <li><b>Unequal weights</b>: each pick goes to endpoint i with probability proportional to
 *       {@code weight_i / (inFlight_i + 1)^activeRequestBias}, Envoy's effective weight. Envoy
 *       schedules those dynamic weights with an EDF scheduler under a lock; lb4j gets the same
 *       proportions without one by rejection sampling: draw a candidate in proportion to its weight
 *       (alias method, O(1)) and accept it with probability {@code 1 / (inFlight + 1)^bias}. When
 *       every endpoint is busy and {@value #MAX_DRAWS} draws in a row are rejected, one of those
 *       draws is resampled by importance weight {@code accept / (1 - accept)}, so the shares stay
 *       close to Envoy's even when every endpoint has many requests in flight. The limit: an
 *       endpoint whose weight is a fraction p of the total is among the draws with probability
 *       {@code 1 - (1 - p)^16}, so a light, idle endpoint next to heavy, busy ones gets somewhat
 *       less than its effective share (weights 1:9, in flight 0 and 200, bias 2: 81 %, not 99.9 %), and
 *       resampling 16 draws is itself biased by about 1/16 of the resampled picks' shares (weights
 *       1:4, in flight 3 and 19: 54.5 %, not 55.6 %). With no load every draw is accepted,
 *       so weights 1:4 split 20 %/80 %. {@code activeRequestBias = 0} ignores load and equals
 *       {@link WeightedRoundRobinPolicy}, as in Envoy. Any finite bias works: the importance
 *       resampling compares draws in a root form that neither underflows nor overflows, so a bias
 *       of 1,100 (where {@code 2^-1100} is below the smallest double) still picks, tending to the
 *       least loaded of the draws as the bias grows.
 * </ul>
 *
 * <p><b>Failing endpoints</b> (lb4j, not Envoy): an endpoint with a non-zero
 * {@link EndpointView#failureRatio()} costs {@code (inFlight + 1) / (1 - failureRatio)} in the
 * equal-weights compare, and its acceptance is multiplied by {@code 1 - failureRatio} with unequal
 * weights: its load per successful request, so an endpoint that fails fast does not attract
 * traffic by having nothing in flight. The ratio counts as at most 0.95, and one pick in 32 that
 * meets a failing endpoint ignores the penalty, so a recovered endpoint is sampled again. Endpoints
 * without failures are compared exactly as above.
 *
 * <p>Weights are {@link EndpointView#effectiveWeight()} (after slow start). Cost per pick: equal
 * weights, {@code choiceCount} random draws and volatile reads (above 64 endpoints with
 * {@code choiceCount >= 3}, plus O(choiceCount²) comparisons in a per-thread scratch array;
 * {@code choiceCount >= n} reads all n); unequal weights, typically one or
 * two draws (at most {@value #MAX_DRAWS}), with {@code Math.pow} only when the bias is neither 0
 * nor 1, and one logarithm (one more {@code Math.pow} for such a bias) per rejected draw. No lock, no allocation. Building is O(n). The policy and its pickers are thread-safe; a
 * picker is shared by every thread that picks.
 */
public final class LeastRequestPolicy implements Policy {

  /** Envoy's default {@code choice_count}. */
  public static final int DEFAULT_CHOICE_COUNT = 2;
  /** Envoy's default {@code active_request_bias}. */
  public static final double DEFAULT_ACTIVE_REQUEST_BIAS = 1.0;

  /** Draws before the unequal-weights picker stops rejecting and takes the best it saw. */
  static final int MAX_DRAWS = 16;

  private final int choiceCount;
  private final double activeRequestBias;
  /** Per-thread scratch for the equal-weights picker's draws, shared by this policy's pickers. */
  private final ThreadLocal<int[]> scratch = ThreadLocal.withInitial(() -> new int[8]);

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
      if (Math.min(choiceCount, views.length) == 2) {
        return PowerOfTwoChoicesPolicy.INSTANCE.newPicker(eligible); // the same distinct pair draw
      }
      return new BestOfDistinct(views, choiceCount, scratch);
    }
    if (activeRequestBias == 0.0) {
      return WeightedRoundRobinPolicy.INSTANCE.newPicker(eligible);
    }
    return new LoadWeightedPicker(views, activeRequestBias);
  }

  @Override
  public String toString() {
    return "least_request(choiceCount=" + choiceCount + ", activeRequestBias=" + activeRequestBias + ")";
  }

  /**
   * Best of k distinct random endpoints by in-flight count; the k-subset is uniformly random and a
   * tie goes to a uniformly random one of the tied endpoints.
   */
  private static final class BestOfDistinct implements Picker {
    // Whether this pick applies the failure penalty: decided at the first candidate that has one.
    private static final int UNDECIDED = 0;
    private static final int YES = 1;
    private static final int NO = 2;

    private final EndpointView[] views;
    private final int draws;
    private final ThreadLocal<int[]> scratch; // only for k >= 3 over more than 64 endpoints

    BestOfDistinct(EndpointView[] views, int choiceCount, ThreadLocal<int[]> scratch) {
      this.views = views;
      this.draws = Math.min(choiceCount, views.length);
      this.scratch = scratch;
    }

    @Override
    public EndpointView pick(io.lb4j.PickContext ctx) {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      return draws == views.length ? scanAll(rnd) : bestOfSubset(rnd);
    }

    private EndpointView scanAll(ThreadLocalRandom rnd) {
      EndpointView best = null;
      double bestCost = Double.MAX_VALUE;
      int ties = 0;
      int penalize = UNDECIDED;
      for (EndpointView v : views) {
        int load = v.inFlight();
        double f = v.failureRatio();
        if (f != 0.0 && penalize == UNDECIDED) {
          penalize = PickerSupport.explore(rnd) ? NO : YES;
        }
        double cost = f == 0.0 || penalize == NO ? load + 1.0 : PickerSupport.cost(load, f);
        if (cost < bestCost) {
          best = v;
          bestCost = cost;
          ties = 1;
        } else if (cost == bestCost && rnd.nextInt(++ties) == 0) {
          best = v; // reservoir: each of the tied endpoints wins with probability 1 / ties
        }
      }
      return best;
    }

    /**
     * Floyd's algorithm draws a uniformly random k-subset with k random numbers; membership is a
     * bit mask up to 64 endpoints, else a per-thread scratch array (no allocation once warm).
     */
    private EndpointView bestOfSubset(ThreadLocalRandom rnd) {
      int n = views.length;
      int k = draws;
      long mask = 0;
      int[] chosen = null;
      if (n > 64) {
        chosen = scratch.get();
        if (chosen.length < k) {
          chosen = new int[k];
          scratch.set(chosen);
        }
      }
      EndpointView best = null;
      double bestCost = Double.MAX_VALUE;
      int ties = 0;
      int penalize = UNDECIDED;
      for (int m = 0, j = n - k; j < n; j++, m++) {
        int t = rnd.nextInt(j + 1);
        boolean taken;
        if (chosen == null) {
          taken = (mask & (1L << t)) != 0;
          mask |= 1L << (taken ? j : t);
        } else {
          taken = contains(chosen, m, t);
          chosen[m] = taken ? j : t;
        }
        EndpointView v = views[taken ? j : t];
        int load = v.inFlight();
        double f = v.failureRatio();
        if (f != 0.0 && penalize == UNDECIDED) {
          penalize = PickerSupport.explore(rnd) ? NO : YES;
        }
        double cost = f == 0.0 || penalize == NO ? load + 1.0 : PickerSupport.cost(load, f);
        if (cost < bestCost) {
          best = v;
          bestCost = cost;
          ties = 1;
        } else if (cost == bestCost && rnd.nextInt(++ties) == 0) {
          best = v;
        }
      }
      return best;
    }

    private static boolean contains(int[] a, int length, int x) {
      for (int i = 0; i < length; i++) {
        if (a[i] == x) {
          return true;
        }
      }
      return false;
    }
  }
}
