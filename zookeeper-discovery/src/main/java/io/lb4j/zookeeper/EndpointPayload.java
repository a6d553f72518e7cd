package io.lb4j.zookeeper;

import java.util.Map;

/**
 * A payload for Curator {@code ServiceInstance}s that tells lb4j an instance's weight, zone and
 * metadata. Register with it (Curator's {@code JsonInstanceSerializer<EndpointPayload>} writes it as
 * JSON); {@link ZooKeeperEndpointSource} reads it as plain JSON and so does not need this class on
 * the reading side. Any JSON object payload with the same keys works as well, e.g. a
 * {@code Map<String, Object>}:
 *
 * <pre>{@code
 * {"weight": 3, "zone": "eu-west-1a", "metadata": {"version": "2.4.1"}}
 * }</pre>
 *
 * <p>Missing keys mean weight 1, no zone, no metadata. Immutable and thread-safe.
 *
 * @param weight relative weight, at least 1
 * @param zone locality for zone-aware routing; {@code ""} for none
 * @param metadata free-form labels
 */
public record EndpointPayload(int weight, String zone, Map<String, String> metadata) {

  public EndpointPayload {
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, was " + weight);
    }
    if (zone == null) {
      throw new IllegalArgumentException("zone must not be null (use \"\" for none)");
    }
    if (metadata == null) {
      throw new IllegalArgumentException("metadata must not be null (use Map.of())");
    }
    metadata = Map.copyOf(metadata);
  }

  /** A payload with this weight and zone and no metadata. */
  public static EndpointPayload of(int weight, String zone) {
    return new EndpointPayload(weight, zone, Map.of());
  }
}
