package io.lb4j;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import java.util.Collection;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a pick resolves, for the {@link LoadBalancer} facade: the current {@link Snapshot}'s picker
 * (or why there is none), retries that avoid endpoints already tried, and {@code begin}'s lookup of
 * an endpoint chosen earlier. Lock-free; allocation-free except for a detached {@code begin}.
 */
final class Picks {

  /** Picks a retry makes, with no hash, before it scans for an endpoint not tried yet. */
  static final int RETRY_PICKS = 8;

  private Picks() {}

  /** The policy's choice for this request. */
  static EndpointState choose(BalancerCore core, PickContext ctx) {
    return choose(core, ctx, current(core, ctx));
  }

  /**
   * A choice that avoids the {@code tried} endpoints (by address) while the picker's endpoints offer
   * another: the policy's choice, else up to {@link #RETRY_PICKS} choices without the request's
   * hash (the same hash picks the same endpoint), else the first untried endpoint the picker was
   * built over, from a random start. When all were tried, the policy's choice.
   */
  static EndpointState chooseOther(BalancerCore core, PickContext ctx, Collection<Endpoint> tried) {
    PickRoute s = current(core, ctx);
    EndpointState first = choose(core, ctx, s);
    if (tried == null || tried.isEmpty() || !contains(tried, first)) {
      return first;
    }
    for (int i = 0; i < RETRY_PICKS; i++) {
      EndpointState e = choose(core, PickContext.EMPTY, s);
      if (!contains(tried, e)) {
        return e;
      }
    }
    EndpointState[] chosen = s.chosen();
    int start = ThreadLocalRandom.current().nextInt(chosen.length);
    for (int i = 0; i < chosen.length; i++) {
      EndpointState e = chosen[(start + i) % chosen.length];
      if (!contains(tried, e)) {
        return e;
      }
    }
    return first;
  }

  /**
   * The state of an endpoint chosen earlier: by identity in the current snapshot, else by address
   * (present or leaving), else a detached state that nobody picks (the endpoint left with nothing in
   * flight), so that the release always balances.
   */
  static EndpointState started(BalancerCore core, Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    EndpointState state = core.snapshot.byEndpoint().get(endpoint);
    if (state == null) {
      state = core.find(endpoint);
    }
    if (state == null) {
      state = new EndpointState(endpoint.address(), endpoint, null, null, null, null);
      state.draining = true;
      state.removed = true;
      state.handle = new Handle(state);
    }
    return state;
  }

  /**
   * The policy's choice for a request with this key: its XXH64 hash, as {@link PickContext#ofKey}
   * computes it, handed to the picker as a number ({@link Picker#pickByHash}), so no context object
   * is made; a policy that does not hash is not given one (and the key is not hashed) unless the
   * route above its pickers (priority levels, zones, an aperture edge) draws by the request hash.
   * With subsets, a split or a fallback may depend on the whole context: that path makes one.
   */
  static EndpointState chooseByKey(BalancerCore core, CharSequence key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null (use pick() for a request without a key)");
    }
    Snapshot snapshot = core.snapshot;
    if (snapshot.subsets() != null) {
      return choose(core, PickContext.ofKey(key));
    }
    Picker picker = checked(core, snapshot.main()).picker();
    boolean hashes = core.policy.usesHash() || picker instanceof RoutePickers.Choice
        || picker instanceof RoutePickers.Edges;
    return state(core, hashes ? picker.pickByHash(PickContext.hashKey(key)) : picker.pick(PickContext.EMPTY));
  }

  /**
   * The route to pick from: the request's subset's (or the traffic split's), else the main one;
   * throws if nothing can be picked.
   */
  private static PickRoute current(BalancerCore core, PickContext ctx) {
    if (ctx == null) {
      throw new IllegalArgumentException("ctx must not be null (use PickContext.EMPTY)");
    }
    Snapshot snapshot = core.snapshot;
    SubsetRoutes subsets = snapshot.subsets();
    PickRoute s;
    if (subsets != null) {
      s = subsets.select(snapshot.main(), ctx);
    } else if (ctx.subset() != null && !core.closed) {
      throw new IllegalArgumentException("load balancer '" + core.name + "' declares no subsets; the request asks for "
          + ctx.subset() + " (see LoadBalancer.Builder.subsets)");
    } else {
      s = snapshot.main();
    }
    return checked(core, s);
  }

  /** {@code s} if it can pick; else throws why not (closed, or no endpoint available). */
  private static PickRoute checked(BalancerCore core, PickRoute s) {
    if (s.picker() == null) {
      if (core.closed) {
        throw new IllegalStateException("load balancer '" + core.name + "' is closed");
      }
      core.metrics.noEndpoint();
      throw new NoEndpointAvailableException(s.unavailable());
    }
    return s;
  }

  private static EndpointState choose(BalancerCore core, PickContext ctx, PickRoute s) {
    return state(core, s.picker().pick(ctx));
  }

  private static EndpointState state(BalancerCore core, EndpointView v) {
    if (!(v instanceof EndpointState state)) {
      throw new IllegalStateException("policy '" + core.policy.name() + "' returned " + v
          + ", which is not one of the endpoints it was given");
    }
    return state;
  }

  private static boolean contains(Collection<Endpoint> tried, EndpointState s) {
    Endpoint e = s.endpoint();
    for (Endpoint t : tried) {
      if (t != null && t.port() == e.port() && t.host().equals(e.host())) {
        return true;
      }
    }
    return false;
  }
}
