package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: draw two <em>distinct</em> endpoints at random and take the one with fewer
 * requests in flight; a tie goes to either at random. An endpoint that has been failing costs
 * {@code (inFlight + 1) / (1 - failureRatio)} instead (see {@link EndpointView#failureRatio()}),
 * its expected cost per successful request, so one that fails fast does not win by having nothing
 * in flight; one compare in 32 between such endpoints ignores the penalty so that a recovered
 * endpoint is sampled again. Unlike gRPC's and Envoy's variants, the two
 * draws never hit the same endpoint, so with two endpoints the less loaded one always wins.
 *
 * <p>Weights are ignored. Cost: two random draws and four volatile reads per pick (a third draw
 * when a candidate has failures); no shared mutable state in the picker. Building is O(n).
 */
public final class PowerOfTwoChoicesPolicy implements WeightBlindPolicy {

  static final PowerOfTwoChoicesPolicy INSTANCE = new PowerOfTwoChoicesPolicy();

  private PowerOfTwoChoicesPolicy() {}

  @Override
  public String name() {
    return "p2c";
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    return PickerSupport.distinctPair(eligible, PowerOfTwoChoicesPolicy::lessLoaded);
  }

  private static EndpointView lessLoaded(EndpointView a, EndpointView b, ThreadLocalRandom rnd) {
    int la = a.inFlight();
    int lb = b.inFlight();
    double fa = a.failureRatio();
    double fb = b.failureRatio();
    // on a tie 'a' is already a fair coin: the ordered pair is uniformly random
    if ((fa == 0.0 && fb == 0.0) || PickerSupport.explore(rnd)) {
      return lb < la ? b : a;
    }
    return PickerSupport.cost(lb, fb) < PickerSupport.cost(la, fa) ? b : a;
  }

  @Override
  public String toString() {
    return "p2c";
  }
}
