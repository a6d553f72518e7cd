/**
 * Active health checking: a {@link io.lb4j.health.HealthProbe} asks each endpoint, on a jittered
 * schedule set by {@link io.lb4j.health.HealthCheckConfig}, and the
 * {@link io.lb4j.health.HealthChecker} marks it unhealthy after {@code unhealthyThreshold} failed
 * probes in a row and healthy again after {@code healthyThreshold} passed ones. Core ships
 * {@link io.lb4j.health.TcpConnectProbe}; the OkHttp adapter adds an HTTP probe and the gRPC adapter
 * a {@code grpc.health.v1} probe.
 */
package io.lb4j.health;
