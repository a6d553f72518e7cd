package io.lb4j.policy;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Envoy's weighted least request without its lock: draws in proportion to weight, accepted with
 * probability {@code 1 / (inFlight + 1)^bias} (times the failure penalty), so each pick lands on
 * endpoint i in proportion to {@code weight_i / (inFlight_i + 1)^bias}; see
 * {@link LeastRequestPolicy} for the rules and their limits. Used by least request and by power of
 * two choices when weights differ.
 */
final class LoadWeightedPicker implements Picker {
  private final EndpointView[] views;
  private final WeightedSampler sampler;
  private final double bias;
  private final boolean linear;

  LoadWeightedPicker(EndpointView[] views, double bias) {
    this.views = views;
    this.sampler = new WeightedSampler(PickerSupport.effectiveWeights(views));
    this.bias = bias;
    this.linear = bias == 1.0;
  }

  @Override
  public EndpointView pick(io.lb4j.PickContext ctx) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    int kept = -1;
    double keptKey = 0;
    for (int d = 0; d < LeastRequestPolicy.MAX_DRAWS; d++) {
      int i = sampler.sample(rnd);
      int load = views[i].inFlight();
      double failures = views[i].failureRatio();
      if (load <= 0 && failures == 0.0) {
        return views[i];
      }
      // The failure penalty: accepted (1 - failureRatio) as often, per successful request.
      double success = failures == 0.0 || PickerSupport.explore(rnd) ? 1.0 : PickerSupport.successShare(failures);
      double accept = success * (linear ? 1.0 / (load + 1) : Math.pow(load + 1, -bias));
      double u = rnd.nextDouble();
      if (u < accept) {
        return views[i];
      }
      // Rejected. Keep one rejected draw, chosen with probability proportional to
      // r = accept / (1 - accept): rejected draws come in proportion to weight * (1 - accept), so
      // the kept one is (importance-resampled) about proportional to weight * accept, Envoy's
      // effective weight, when all draws are rejected because every endpoint is busy.
      // The choice is an exponential race: the smallest E / r wins, E ~ Exp(1), drawn from the
      // fresh uniform (u - accept) / (1 - accept) that a rejection leaves. With a large bias r
      // underflows to 0 (2^-1100 is below the smallest double), so the race is run on the
      // bias-th root of E / r, which orders the same and never under- or overflows:
      //   (E * (1 - accept))^(1 / bias) * (load + 1).
      // A failure penalty also divides r by `success` (E / r by 1 / success), and leaves the linear
      // shortcut (1 - accept) * (load + 1) = load untrue, so a penalized draw takes the root form.
      double e = -Math.log((u - accept) / (1 - accept)) / success;
      double key = linear && success == 1.0 ? e * load : Math.pow(e * (1 - accept), 1 / bias) * (load + 1);
      if (kept < 0 || key < keptKey) {
        kept = i;
        keptKey = key;
      }
    }
    return views[kept];
  }
}
