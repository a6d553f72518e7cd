/**
 * {@link io.lb4j.EndpointSource}s that keep a balancer's endpoint list current:
 * {@link io.lb4j.discovery.StaticEndpointSource}, a list the application updates, and
 * {@link io.lb4j.discovery.DnsEndpointSource}, which re-resolves A/AAAA or SRV records on an
 * interval and keeps the last good list when a lookup fails. ZooKeeper (Curator service discovery)
 * lives in the {@code lb4j-zookeeper} module.
 */
package io.lb4j.discovery;
