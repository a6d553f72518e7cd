package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Power of two choices: draw two <em>distinct</em> endpoints at random and take the one with fewer
 * requests in flight; a tie goes to either at random. Unlike gRPC's and Envoy's variants, the two
 * draws never hit the same endpoint, so with two endpoints the less loaded one always wins.
 *
 * <p>Weights are ignored. Cost: two random draws and two volatile reads per pick; no shared
 * mutable state in the picker. Building is O(n).
 */
public final class PowerOfTwoChoicesPolicy implements Policy {

  static final PowerOfTwoChoicesPolicy INSTANCE = new PowerOfTwoChoicesPolicy();

  private PowerOfTwoChoicesPolicy() {}

  @Override
  public String name() {
    return "p2c";
  }

  /** {@code false}: this policy ignores weights. */
  @Override
  public boolean usesEffectiveWeight() {
    return false;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    int n = views.length;
    return ctx -> {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      int i = rnd.nextInt(n);
      // second draw from the other n-1 slots: distinct by construction, still uniform
      int j = rnd.nextInt(n - 1);
      if (j >= i) {
        j++;
      }
      EndpointView a = views[i];
      EndpointView b = views[j];
      int la = a.inFlight();
      int lb = b.inFlight();
      // on a tie 'a' is already a fair coin: the ordered pair (i, j) is uniformly random
      return lb < la ? b : a;
    };
  }

  @Override
  public String toString() {
    return "p2c";
  }
}
