package io.lb4j.bench;

import io.grpc.EquivalentAddressGroup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gRPC-java's ring hash construction alone: its private static
 * {@code RingHashLoadBalancer.buildRing(Map<EquivalentAddressGroup, Long> weights, long total,
 * double scale)} (grpc-xds), reached by reflection, with the arguments its
 * {@code acceptResolvedAddresses} would pass for equal weights. Benchmark-only; breaks loudly (at
 * construction) if a gRPC release renames it.
 */
final class GrpcRingBuild {

  private final MethodHandle buildRing;
  private final Map<EquivalentAddressGroup, Long> weights = new LinkedHashMap<>();
  private final long total;
  private final double scale;

  /**
   * @param groups the addresses, weight 1 each
   * @throws IllegalStateException if gRPC's method is not there
   */
  GrpcRingBuild(List<EquivalentAddressGroup> groups, int minRingSize, int maxRingSize) {
    try {
      Method m = Class.forName("io.grpc.xds.RingHashLoadBalancer")
          .getDeclaredMethod("buildRing", Map.class, long.class, double.class);
      m.setAccessible(true);
      buildRing = MethodHandles.lookup().unreflect(m);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("gRPC-java's RingHashLoadBalancer.buildRing(Map, long, double) is not reachable", e);
    }
    for (EquivalentAddressGroup group : groups) {
      weights.put(group, 1L);
    }
    total = groups.size();
    // gRPC's scale: the lightest host gets a whole number of entries, within maxRingSize.
    double minNormalized = 1.0 / total;
    scale = Math.min(Math.ceil(minNormalized * minRingSize) / minNormalized, maxRingSize);
  }

  /** Builds the ring: gRPC's list of entries, sorted. */
  List<?> build() {
    try {
      return (List<?>) buildRing.invoke(weights, total, scale);
    } catch (Throwable t) {
      throw new IllegalStateException("gRPC's buildRing failed", t);
    }
  }
}
