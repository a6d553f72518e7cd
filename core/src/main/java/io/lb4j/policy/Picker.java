package io.lb4j.policy;

import io.lb4j.PickContext;

/**
 * An immutable snapshot of a policy over a fixed set of endpoints. {@link #pick} is called
 * concurrently from any number of threads; it must take no lock and allocate nothing. Live load
 * (in-flight counts, latency) is read through the {@link EndpointView}s, not stored here.
 */
@FunctionalInterface
public interface Picker {

  /** Picks one of the endpoints this picker was built over; never {@code null}. */
  EndpointView pick(PickContext ctx);

  /**
   * Picks for a request whose hash is {@code hash}: the same as
   * {@code pick(PickContext.ofHash(hash))}, which the default does. The built-in hash policies'
   * pickers implement it without a context object, so that {@link io.lb4j.LoadBalancer#pick(CharSequence)}
   * allocates nothing whatever the JIT decides; a custom hash policy may do the same.
   */
  default EndpointView pickByHash(long hash) {
    return pick(PickContext.ofHash(hash));
  }
}
