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
    Snapshot s = current(core, ctx);
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
    }
    return state;
  }

  /**
   * The policy's choice for a request with this key: its XXH64 hash, as {@link PickContext#ofKey}
   * computes it, handed to the picker as a number ({@link Picker#pickByHash}), so no context object
   * is made; a policy that does not hash is not given one (and the key is not hashed).
   */
  static EndpointState chooseByKey(BalancerCore core, CharSequence key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null (use pick() for a request without a key)");
    }
    Picker picker = current(core).picker();
    return state(core, core.policy.usesHash() ? picker.pickByHash(PickContext.hashKey(key)) : picker.pick(PickContext.EMPTY));
  }

  /** The snapshot to pick from; throws if nothing can be picked. */
  private static Snapshot current(BalancerCore core, PickContext ctx) {
    if (ctx == null) {
      throw new IllegalArgumentException("ctx must not be null (use PickContext.EMPTY)");
    }
    return current(core);
  }

  private static Snapshot current(BalancerCore core) {
    Snapshot s = core.snapshot;
    if (s.picker() == null) {
      if (core.closed) {
        throw new IllegalStateException("load balancer '" + core.name + "' is closed");
      }
      core.metrics.noEndpoint();
      throw new NoEndpointAvailableException(s.unavailable());
    }
    return s;
  }

  private static EndpointState choose(BalancerCore core, PickContext ctx, Snapshot s) {
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
