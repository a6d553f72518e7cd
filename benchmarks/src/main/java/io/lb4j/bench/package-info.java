/**
 * JMH benchmarks (picks, table builds, the OkHttp interceptor's overhead, lb4j's gRPC pickers next
 * to gRPC-java's own), the live loopback {@link io.lb4j.bench.Demo}, and their support code. Not
 * published; {@code BENCHMARKS.md} at the repository root holds the results and the commands.
 */
package io.lb4j.bench;
