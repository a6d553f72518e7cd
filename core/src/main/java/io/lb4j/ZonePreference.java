package io.lb4j;

import java.util.List;

/**
 * Zone-aware routing: with a local zone, picks only among the eligible endpoints of that zone while
 * they number at least one and at least {@code threshold} of the zone's judged endpoints (present,
 * not draining, not waiting for a first probe); otherwise spills over to every eligible endpoint.
 * Pure: the same inputs give the same decision.
 */
final class ZonePreference {

  /**
   * One decision.
   *
   * @param local whether to route to the local zone only
   * @param eligible the local zone's eligible endpoints
   * @param judged the local zone's judged endpoints
   */
  record Decision(boolean local, int eligible, int judged) {}

  private ZonePreference() {}

  /**
   * @param candidates every present endpoint
   * @param eligible whether each candidate is eligible (same order)
   * @return the decision, or null when {@code localZone} is null (no preference)
   */
  static Decision decide(List<SnapshotBuilder.Candidate> candidates, boolean[] eligible, String localZone,
      double threshold) {
    if (localZone == null) {
      return null;
    }
    int judged = 0;
    int local = 0;
    for (int i = 0; i < eligible.length; i++) {
      SnapshotBuilder.Candidate c = candidates.get(i);
      if (c.status() == EndpointStatus.DRAINING || !localZone.equals(c.zone())) {
        continue;
      }
      if (eligible[i] || c.status() != EndpointStatus.UNKNOWN) {
        judged++;
      }
      if (eligible[i]) {
        local++;
      }
    }
    return new Decision(local > 0 && local >= threshold * judged, local, judged);
  }

  /** Whether candidate {@code i} is in the local zone. */
  static boolean inZone(SnapshotBuilder.Candidate c, String localZone) {
    return localZone.equals(c.zone());
  }
}
