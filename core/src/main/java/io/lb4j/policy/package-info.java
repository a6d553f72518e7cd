/**
 * Policies that choose an endpoint for a request, and the SPI to write one.
 *
 * <p>{@link io.lb4j.policy.Policies} makes the built-in ones: random, round robin, smooth weighted
 * round robin, power of two choices, Envoy's least request, and the consistent-hash policies ring
 * hash and Maglev, which pick the same endpoint as Envoy (and gRPC's {@code ring_hash}) for the
 * same endpoints and request hash. A {@link io.lb4j.policy.Policy} builds an immutable
 * {@link io.lb4j.policy.Picker} over the eligible endpoints each time that set changes; the picker
 * reads live load (in flight, latency) through {@link io.lb4j.policy.EndpointView} and must neither
 * lock nor allocate. {@link io.lb4j.policy.MaglevTable} is public for conformance tests and tools.
 */
package io.lb4j.policy;
