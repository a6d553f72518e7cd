/**
 * Passive outlier detection with Envoy's (and gRPC A50's) model: the outcomes that requests report
 * on release eject an endpoint after consecutive failures, or on each interval's success-rate and
 * failure-percentage checks, for a time that grows with each re-ejection, never above
 * {@code maxEjectionPercent} of the endpoints. Configure with
 * {@link io.lb4j.outlier.OutlierDetectionConfig}; {@link io.lb4j.outlier.OutlierDetector} describes
 * the run-time behaviour.
 */
package io.lb4j.outlier;
