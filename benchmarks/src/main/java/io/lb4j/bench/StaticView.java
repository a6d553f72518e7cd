package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.policy.EndpointView;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link EndpointView} with no live load: in-flight 0, no latency, the endpoint's own weight.
 * Lets tools build pickers straight from {@link io.lb4j.policy.Policy#newPicker} without a
 * balancer. Immutable; thread-safe.
 *
 * @param endpoint the endpoint viewed
 */
public record StaticView(Endpoint endpoint) implements EndpointView {

  /** Wraps every endpoint, in order. */
  public static List<StaticView> of(List<Endpoint> endpoints) {
    List<StaticView> views = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      views.add(new StaticView(e));
    }
    return views;
  }

  @Override
  public int inFlight() {
    return 0;
  }

  @Override
  public double latencyEwmaNanos() {
    return 0.0;
  }

  @Override
  public int effectiveWeight() {
    return endpoint.weight();
  }
}
