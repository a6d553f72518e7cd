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
    Map<String, ?> json) {

  /** Whether the policy hashes requests (ring hash, Maglev): {@link Policy#usesHash()}. */
  boolean hashing() {
    return policy.usesHash();
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
