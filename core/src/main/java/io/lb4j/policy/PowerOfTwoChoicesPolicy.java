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
 * <p><b>Weights</b> are honoured, as Envoy's least request does it: while every eligible endpoint
 * has the same {@link EndpointView#effectiveWeight()} the picker is the pair draw above; when they
 * differ (weights from DNS SRV records or a registry's payload, or a slow-start ramp) each pick goes
 * to endpoint i in proportion to {@code weight_i / (inFlight_i + 1)}, exactly
 * {@code Policies.leastRequest(2, 1.0)} (see {@link LeastRequestPolicy}), so idle endpoints share
 * requests by weight and a busy one gets less.
 *
 * <p>Cost: equal weights, two random draws and four volatile reads per pick (a third draw when a
 * candidate has failures); unequal weights, typically one or two weighted draws (O(1), alias
 * method) with one volatile read each. No lock, no allocation, no shared mutable state in the
 * picker. Building is O(n).
 */
public final class PowerOfTwoChoicesPolicy implements Policy {

  static final PowerOfTwoChoicesPolicy INSTANCE = new PowerOfTwoChoicesPolicy();

  private PowerOfTwoChoicesPolicy() {}

  @Override
  public String name() {
    return "p2c";
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length > 1 && !PickerSupport.equalWeights(views)) {
      return new LoadWeightedPicker(views, 1.0);
    }
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
