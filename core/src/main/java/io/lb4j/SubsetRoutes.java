package io.lb4j;

import java.util.Map;

/**
 * A snapshot's subset routes: one per non-empty subset of every declared selector, the route an
 * empty subset falls back to, and the traffic split that names a subset for requests that name
 * none. Immutable; {@link #select} is lock-free and allocation-free but for a failing pick.
 *
 * @param config the declared selectors and fallback
 * @param routes the route of each non-empty subset
 * @param fallback where a request for an empty subset goes; null for {@code NO_FALLBACK}
 * @param split the traffic split, or null
 * @param name the balancer's name, for messages
 */
record SubsetRoutes(SubsetConfig config, Map<Subset, PickRoute> routes, PickRoute fallback, TrafficSplit split,
    String name) {

  /**
   * The route of one request: its subset's (or the split's choice when it names none), else the
   * fallback; the main route for a request naming no subset without a split.
   *
   * @throws IllegalArgumentException if the request's subset keys are not a declared selector
   */
  PickRoute select(PickRoute main, PickContext ctx) {
    Subset s = ctx.subset();
    if (s == null) {
      if (split == null) {
        return main;
      }
      s = split.choose(ctx);
    }
    PickRoute r = routes.get(s);
    if (r != null) {
      return r;
    }
    config.selectorOf(s); // throws when the keys are not declared
    return switch (config.fallback()) {
      case ANY_ENDPOINT -> main;
      case DEFAULT_SUBSET -> fallback;
      case NO_FALLBACK -> PickRoute.none("load balancer '" + name + "': no endpoint matches subset " + s
          + " and the subset fallback is NO_FALLBACK");
    };
  }
}
