package io.lb4j;

/**
 * How many present endpoints have each {@link EndpointStatus}, as of one snapshot; what the
 * {@code lb4j.endpoints} gauge reads in O(1).
 */
record StatusCounts(int healthy, int draining, int ejected, int unhealthy, int unknown) {

  static final StatusCounts NONE = new StatusCounts(0, 0, 0, 0, 0);

  /** Counts one list of statuses. */
  static StatusCounts of(Iterable<EndpointStatus> statuses) {
    int[] n = new int[EndpointStatus.values().length];
    for (EndpointStatus s : statuses) {
      n[s.ordinal()]++;
    }
    return new StatusCounts(n[EndpointStatus.HEALTHY.ordinal()], n[EndpointStatus.DRAINING.ordinal()],
        n[EndpointStatus.EJECTED.ordinal()], n[EndpointStatus.UNHEALTHY.ordinal()], n[EndpointStatus.UNKNOWN.ordinal()]);
  }

  /** The count of one status. */
  int count(EndpointStatus status) {
    return switch (status) {
      case HEALTHY -> healthy;
      case DRAINING -> draining;
      case EJECTED -> ejected;
      case UNHEALTHY -> unhealthy;
      case UNKNOWN -> unknown;
    };
  }

  /** All present endpoints. */
  int total() {
    return healthy + draining + ejected + unhealthy + unknown;
  }
}
