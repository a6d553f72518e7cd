package io.lb4j.grpc;

import io.grpc.LoadBalancer.Helper;
import io.lb4j.LoadBalancer;
import io.lb4j.metrics.LoadBalancerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The name of a channel's lb4j balancer (metrics tag {@code lb}, log lines): the channel's service,
 * i.e. the host of its authority ({@code orders.internal} for {@code static://orders.internal/...}
 * or {@code dns:///orders.internal:443}); when the authority is an IP address
 * ({@code static:///10.0.0.1:8443,...} makes the first address the authority), the whole channel
 * target, which at least names every backend. Stateless.
 */
final class BalancerName {

  /** Suffixes tried for a name already live on a meter registry: {@code orders-2} .. {@code orders-100}. */
  private static final int MAX_SUFFIX = 100;

  private BalancerName() {}

  /** The name for the channel behind {@code helper}. */
  static String of(Helper helper) {
    String authority = helper.getAuthority();
    String target;
    try {
      target = helper.getChannelTarget();
    } catch (UnsupportedOperationException e) {
      target = null; // a helper that cannot tell (a test's)
    }
    return of(authority, target);
  }

  /** The name for a channel with this authority and target (either may be null). */
  static String of(String authority, String target) {
    if (authority != null && !authority.isBlank() && !AuthorityAdvice.isIpAuthority(authority)) {
      String host = Addresses.serverName(authority);
      return host != null ? host : authority;
    }
    if (target != null && !target.isBlank()) {
      return target;
    }
    return authority == null || authority.isBlank() ? "grpc" : authority;
  }

  /**
   * Builds the balancer under {@code name}, or, when a live balancer of that name already has meters
   * on {@code registry} (two channels to one service), under {@code name-2}, {@code name-3}, ...
   */
  static LoadBalancer build(LoadBalancer.Builder builder, String name, MeterRegistry registry) {
    if (registry == null) {
      return builder.name(name).build();
    }
    builder.meterRegistry(registry);
    for (int i = 1; ; i++) {
      String candidate = i == 1 ? name : name + "-" + i;
      if (i < MAX_SUFFIX && registry.find(LoadBalancerMetrics.PANIC).tag("lb", candidate).gauge() != null) {
        continue;
      }
      try {
        return builder.name(candidate).build();
      } catch (IllegalArgumentException taken) {
        if (i >= MAX_SUFFIX) {
          throw taken;
        }
        // another channel took it between the check and the build; try the next
      }
    }
  }
}
