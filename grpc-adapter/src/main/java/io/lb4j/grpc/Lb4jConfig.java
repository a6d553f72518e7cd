package io.lb4j.grpc;

import io.grpc.Metadata;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policy;
import java.time.Duration;
import java.util.Map;

/**
 * A parsed {@code lb4j_*} service-config entry. Equality is that of the JSON it came from, so the
 * balancer can tell a changed config from a re-sent one. Immutable.
 *
 * @param policyName the gRPC policy name, e.g. {@code lb4j_maglev}
 * @param policy the lb4j policy to pick with
 * @param hashHeader metadata key whose value is hashed, or null
 * @param outlierDetection null when off
 * @param healthCheck null when off
 * @param healthService the grpc.health.v1 service name ("" = the whole server)
 * @param panicThreshold 0.0..1.0
 * @param slowStartWindow {@link Duration#ZERO} when off
 * @param fleet subsets, split, aperture and zone routing ({@link FleetConfig#NONE} when none)
 * @param connectEagerly whether every subchannel connects at once (always, but for hash policies
 *     without {@code connectEagerly: true}, which connect on a call's first pick)
 * @param json the raw config, for equality
 */
record Lb4jConfig(
    String policyName,
    Policy policy,
    Metadata.Key<String> hashHeader,
    OutlierDetectionConfig outlierDetection,
    HealthCheckConfig healthCheck,
    String healthService,
    double panicThreshold,
    Duration slowStartWindow,
    FleetConfig fleet,
    boolean connectEagerly,
    Map<String, ?> json) {

  /** Whether picks need a request hash: the policy hashes (ring hash, Maglev), or a split is sticky. */
  boolean hashing() {
    return policy.usesHash() || fleet.hashesForSplit();
  }

  /**
   * Whether this config differs from {@code other} only in {@code split.weights} (same policy, same
   * everything else, a split on the same key in both), so the running balancer can take the new
   * weights without being rebuilt.
   */
  boolean onlySplitWeightsDiffer(Lb4jConfig other) {
    if (other == null || !policyName.equals(other.policyName) || fleet.splitKey() == null
        || !(json.get("split") instanceof Map<?, ?> mine) || !(other.json.get("split") instanceof Map<?, ?> theirs)) {
      return false;
    }
    Map<String, Object> a = new java.util.HashMap<>(json);
    Map<String, Object> b = new java.util.HashMap<>(other.json);
    Map<Object, Object> splitA = new java.util.HashMap<>(mine);
    Map<Object, Object> splitB = new java.util.HashMap<>(theirs);
    splitA.remove("weights");
    splitB.remove("weights");
    a.put("split", splitA);
    b.put("split", splitB);
    return a.equals(b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Lb4jConfig c && c.policyName.equals(policyName) && c.json.equals(json);
  }

  @Override
  public int hashCode() {
    return policyName.hashCode() * 31 + json.hashCode();
  }

  @Override
  public String toString() {
    return policyName + json;
  }
}
