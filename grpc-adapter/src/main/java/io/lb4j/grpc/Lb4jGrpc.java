package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolverRegistry;
import java.util.List;

/**
 * Entry points of the gRPC adapter: explicit registration, the per-call hash key and the address
 * attributes that carry an endpoint's weight and zone. Stateless; thread-safe.
 */
public final class Lb4jGrpc {

  /**
   * Gives a call its request hash for {@code lb4j_ring_hash} and {@code lb4j_maglev}:
   * {@code stub.withOption(Lb4jGrpc.HASH_KEY, hash)}. Takes precedence over the {@code hashHeader}
   * config key. Ignored by the other policies. Default: unset.
   */
  public static final CallOptions.Key<Long> HASH_KEY = CallOptions.Key.create("io.lb4j.grpc.hash");

  /**
   * The endpoint's weight (at least 1) on an {@link io.grpc.EquivalentAddressGroup}'s attributes;
   * set by lb4j's resolvers, read by the {@code lb4j_*} policies. Absent means 1.
   */
  public static final Attributes.Key<Integer> WEIGHT_KEY = Attributes.Key.create("io.lb4j.grpc.weight");

  /**
   * The endpoint's zone on an {@link io.grpc.EquivalentAddressGroup}'s attributes; set by lb4j's
   * resolvers. Absent means no zone.
   */
  public static final Attributes.Key<String> ZONE_KEY = Attributes.Key.create("io.lb4j.grpc.zone");

  private Lb4jGrpc() {}

  /**
   * Registers every {@code lb4j_*} load-balancing policy and the {@code static} name resolver with
   * the default registries, for class-loader setups where {@link java.util.ServiceLoader} misses
   * this jar (shaded or nested jars). Idempotent: registering twice replaces nothing that matters.
   */
  public static void registerAll() {
    LoadBalancerRegistry lbs = LoadBalancerRegistry.getDefaultRegistry();
    for (Lb4jLoadBalancerProvider p : providers()) {
      if (lbs.getProvider(p.getPolicyName()) == null) {
        lbs.register(p);
      }
    }
    NameResolverRegistry resolvers = NameResolverRegistry.getDefaultRegistry();
    if (resolvers.getProviderForScheme(StaticNameResolverProvider.SCHEME) == null) {
      resolvers.register(new StaticNameResolverProvider());
    }
  }

  /** One fresh provider per {@code lb4j_*} policy name. */
  static List<Lb4jLoadBalancerProvider> providers() {
    return List.of(new Lb4jLoadBalancerProvider.Random(), new Lb4jLoadBalancerProvider.RoundRobin(),
        new Lb4jLoadBalancerProvider.WeightedRoundRobin(), new Lb4jLoadBalancerProvider.PowerOfTwoChoices(),
        new Lb4jLoadBalancerProvider.LeastRequest(), new Lb4jLoadBalancerProvider.PeakEwma(),
        new Lb4jLoadBalancerProvider.RingHash(), new Lb4jLoadBalancerProvider.Maglev());
  }
}
