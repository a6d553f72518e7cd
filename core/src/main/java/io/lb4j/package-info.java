/**
 * lb4j's API: build a {@link io.lb4j.LoadBalancer} over {@link io.lb4j.Endpoint}s, then for each
 * request {@link io.lb4j.LoadBalancer#pick() pick} an endpoint and {@link io.lb4j.Selection#release
 * release} the {@link io.lb4j.Selection} with the request's {@link io.lb4j.Outcome} and latency.
 *
 * <p>The balancer keeps the list current (from a fixed list or an {@link io.lb4j.EndpointSource}),
 * takes endpoints out while outlier detection or active health checks say so, falls back to panic
 * mode when too few are left, and asks its {@linkplain io.lb4j.policy.Policy policy} to choose among
 * the eligible ones. A pick and a release take no lock and allocate nothing.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .endpoints(List.of(Endpoint.parse("10.0.0.1:8080"), Endpoint.parse("10.0.0.2:8080")))
 *     .policy(Policies.powerOfTwoChoices())
 *     .build();
 * Selection s = lb.pick();
 * // ... send the request to s.endpoint() ...
 * s.release(Outcome.SUCCESS, latencyNanos);
 * }</pre>
 *
 * <p>Bad arguments throw {@link java.lang.IllegalArgumentException} naming the field and the value,
 * where they are given; a pick with nothing eligible throws
 * {@link io.lb4j.NoEndpointAvailableException} saying why. The OkHttp and gRPC adapters do all of
 * this for their requests.
 */
package io.lb4j;
