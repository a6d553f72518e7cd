package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Small helpers shared by the built-in policies. */
final class PickerSupport {

  /**
   * Failure ratios above this count as this: an endpoint that fails every request costs 20 times
   * its load, so it still wins against endpoints loaded 20 times more.
   */
  static final double MAX_FAILURE_RATIO = 0.95;
  /**
   * One load compare in this many between penalized endpoints ignores the penalty, so an endpoint
   * that failed and stopped getting traffic still gets a trickle and its ratio can come down once it
   * recovers (nothing else would ever sample it).
   */
  static final int EXPLORE_ONE_IN = 32;

  private PickerSupport() {}

  /**
   * An endpoint's cost per successful request: {@code (inFlight + 1) / (1 - failureRatio)}, the
   * ratio capped at {@link #MAX_FAILURE_RATIO}. Only for endpoints with failures; without, the
   * pickers compare in-flight counts as they are.
   */
  static double cost(int inFlight, double failureRatio) {
    return (inFlight + 1.0) / successShare(failureRatio);
  }

  /** {@code 1 - failureRatio}, the ratio capped at {@link #MAX_FAILURE_RATIO}: at least 0.05. */
  static double successShare(double failureRatio) {
    return 1.0 - Math.min(failureRatio, MAX_FAILURE_RATIO);
  }

  /** Chooses between the two endpoints of a distinct random pair. */
  @FunctionalInterface
  interface PairChooser {
    /**
     * The better of {@code a} and {@code b}; returning {@code a} on a tie is a fair coin, since the
     * ordered pair is uniformly random.
     */
    EndpointView choose(EndpointView a, EndpointView b, ThreadLocalRandom rnd);
  }

  /**
   * A picker that draws two <em>distinct</em> endpoints uniformly at random (the second from the
   * other {@code n - 1} slots, so no endpoint is compared with itself and the ordered pair is
   * uniform) and lets {@code chooser} decide; over one endpoint, that endpoint.
   */
  static Picker distinctPair(List<? extends EndpointView> eligible, PairChooser chooser) {
    EndpointView[] views = toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    int n = views.length;
    return ctx -> {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      int i = rnd.nextInt(n);
      int j = rnd.nextInt(n - 1);
      return chooser.choose(views[i], views[j >= i ? j + 1 : j], rnd);
    };
  }

  /** Whether this compare ignores the failure penalty (one in {@link #EXPLORE_ONE_IN}). */
  static boolean explore(ThreadLocalRandom rnd) {
    return rnd.nextInt(EXPLORE_ONE_IN) == 0;
  }

  /** Copies the eligible list into an array, rejecting an empty or null list with a clear message. */
  static EndpointView[] toArray(List<? extends EndpointView> eligible) {
    if (eligible == null || eligible.isEmpty()) {
      throw new IllegalArgumentException("eligible endpoints must not be empty, was " + eligible);
    }
    EndpointView[] views = eligible.toArray(new EndpointView[0]);
    for (int i = 0; i < views.length; i++) {
      if (views[i] == null) {
        throw new IllegalArgumentException("eligible endpoints must not contain null, index " + i);
      }
    }
    return views;
  }

  /**
   * The views' effective weights, each at least 1 (a custom {@link EndpointView} reporting 0 or
   * less still gets a share rather than breaking a schedule).
   */
  static long[] effectiveWeights(EndpointView[] views) {
    long[] weights = new long[views.length];
    for (int i = 0; i < views.length; i++) {
      weights[i] = Math.max(1, views[i].effectiveWeight());
    }
    return weights;
  }

  /** Whether every view has the same effective weight. */
  static boolean equalWeights(EndpointView[] views) {
    int w = views[0].effectiveWeight();
    for (EndpointView v : views) {
      if (v.effectiveWeight() != w) {
        return false;
      }
    }
    return true;
  }
}
