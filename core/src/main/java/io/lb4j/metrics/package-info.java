/**
 * Micrometer meters for a balancer: requests by outcome, latency, in-flight requests, endpoints by
 * status, ejections, health checks, panic mode and picks that found no endpoint, all tagged with
 * the balancer's name. They are registered only when the builder is given a {@code MeterRegistry};
 * {@link io.lb4j.metrics.LoadBalancerMetrics} lists every meter and its tags.
 */
package io.lb4j.metrics;
