/**
 * An {@link io.lb4j.EndpointSource} over ZooKeeper: {@link io.lb4j.zookeeper.ZooKeeperEndpointSource}
 * watches the instances that Apache Curator's service discovery ({@code curator-x-discovery})
 * registers under a base path and service name, and {@link io.lb4j.zookeeper.EndpointPayload} is the
 * payload a service registers to give its instance a weight, a zone and metadata.
 */
package io.lb4j.zookeeper;
