/**
 * lb4j for gRPC-java: load-balancing policies {@code lb4j_random}, {@code lb4j_round_robin},
 * {@code lb4j_weighted_round_robin}, {@code lb4j_p2c}, {@code lb4j_least_request},
 * {@code lb4j_peak_ewma}, {@code lb4j_ring_hash} and {@code lb4j_maglev} (see {@link io.lb4j.grpc.Lb4jLoadBalancerProvider}
 * for their service-config keys), the {@code static:///host:port,...} name resolver
 * ({@link io.lb4j.grpc.StaticNameResolverProvider}), a bridge from any lb4j
 * {@link io.lb4j.EndpointSource} to a name resolver, and a {@code grpc.health.v1} health probe.
 * The providers register through {@link java.util.ServiceLoader}; {@link io.lb4j.grpc.Lb4jGrpc}
 * registers them explicitly and holds the call option for a request's hash.
 */
package io.lb4j.grpc;
