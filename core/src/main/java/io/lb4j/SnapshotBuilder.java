package io.lb4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Eligibility, panic mode and zone preference as one pure function: the statuses of the present
 * endpoints in, the endpoints the picker gets (and why none, when none) out. No threads, no clock,
 * no state: {@link BalancerCore} feeds it on every rebuild, tests call it directly.
 *
 * <ul>
 *   <li><b>Eligible</b>: status {@code HEALTHY}, or {@code UNKNOWN} while no endpoint has an active
 *       health verdict yet (a cold start serves rather than waits).
 *   <li><b>Judged</b>: present, not draining, and not still waiting for a first probe once others
 *       have one. Waiting endpoints do not count towards panic, so a scale-up or a first probe
 *       round does not flip the balancer into panic.
 *   <li><b>Panic</b> ({@link PanicRule}: Envoy's, less the endpoints known dead): fewer than
 *       {@code panicThreshold} of the judged endpoints that are not known dead are eligible; then
 *       every usable (not draining) endpoint that is not known dead is picked from.
 *   <li><b>Zone</b>: otherwise {@link ZonePreference} may narrow the eligible set to the local zone.
 * </ul>
 */
final class SnapshotBuilder {

  private SnapshotBuilder() {}

  /**
   * What the builder needs to know of one present endpoint.
   *
   * @param status its status now
   * @param probed not drained, and active health checks have given it a verdict
   * @param zone its zone
   * @param knownDead failed its checks, or ejected as unreachable: hard evidence that it is down
   */
  record Candidate(EndpointStatus status, boolean probed, String zone, boolean knownDead) {

    /** A candidate that is not known dead. */
    Candidate(EndpointStatus status, boolean probed, String zone) {
      this(status, probed, zone, false);
    }
  }

  /**
   * The outcome for one list of candidates.
   *
   * @param eligible per candidate: eligible on its own merits
   * @param chosen indices of the candidates the picker gets, in list order; empty when none can
   * @param panic whether the balancer is in panic mode
   * @param eligibleCount eligible candidates
   * @param judged judged candidates that are not known dead: the panic denominator
   * @param zone the zone decision, or null without a local zone
   * @param counts candidates per status
   * @param unavailable the message a pick gets when {@code chosen} is empty
   */
  record Eligibility(boolean[] eligible, int[] chosen, boolean panic, int eligibleCount, int judged,
      ZonePreference.Decision zone, StatusCounts counts, String unavailable) {}

  /**
   * Decides one snapshot's eligibility.
   *
   * @param candidates the present endpoints, in insertion order
   * @param panicThreshold 0.0..1.0; 0 disables panic mode
   * @param localZone the zone to prefer, or null
   * @param name the balancer's name, for the message
   * @param emptyReason why the list is empty, for the message (e.g. the endpoint source's error)
   */
  static Eligibility decide(List<Candidate> candidates, double panicThreshold, String localZone, String name,
      String emptyReason) {
    int n = candidates.size();
    boolean anyProbed = false;
    for (Candidate c : candidates) {
      anyProbed |= c.probed();
    }
    boolean[] eligible = new boolean[n];
    List<EndpointStatus> statuses = new ArrayList<>(n);
    List<Integer> usable = new ArrayList<>(n);
    List<Integer> eligibleIndices = new ArrayList<>(n);
    int waiting = 0;
    for (int i = 0; i < n; i++) {
      EndpointStatus status = candidates.get(i).status();
      statuses.add(status);
      eligible[i] = status == EndpointStatus.HEALTHY || (status == EndpointStatus.UNKNOWN && !anyProbed);
      if (status != EndpointStatus.DRAINING) {
        usable.add(i);
      }
      if (eligible[i]) {
        eligibleIndices.add(i);
      } else if (status == EndpointStatus.UNKNOWN) {
        waiting++;
      }
    }
    PanicRule.Decision<Integer> panic = PanicRule.decide(usable, eligibleIndices,
        i -> candidates.get(i).status() == EndpointStatus.UNKNOWN && !eligible[i],
        i -> candidates.get(i).knownDead(), panicThreshold);
    ZonePreference.Decision zone = panic.offered() != null ? null
        : ZonePreference.decide(candidates, eligible, localZone, panicThreshold);
    List<Integer> picked;
    if (panic.offered() != null) {
      picked = panic.offered();
    } else if (zone != null && zone.local()) {
      picked = new ArrayList<>(zone.eligible());
      for (int i : eligibleIndices) {
        if (ZonePreference.inZone(candidates.get(i), localZone)) {
          picked.add(i);
        }
      }
    } else {
      picked = eligibleIndices;
    }
    int[] chosen = new int[picked.size()];
    for (int k = 0; k < chosen.length; k++) {
      chosen[k] = picked.get(k);
    }
    StatusCounts counts = StatusCounts.of(statuses);
    return new Eligibility(eligible, chosen, panic.panic(), eligibleIndices.size(), panic.alive(), zone, counts,
        unavailableMessage(name, n, counts, waiting, emptyReason));
  }

  /** Why a pick finds nothing: an empty list (and why), or how the endpoints are unavailable. */
  static String unavailableMessage(String name, int total, StatusCounts counts, int waiting, String emptyReason) {
    if (total == 0) {
      return "load balancer '" + name + "' has no endpoints: the endpoint list is empty"
          + (emptyReason == null ? "" : " (" + emptyReason + ")");
    }
    return "load balancer '" + name + "': all " + total + " endpoints are unavailable (" + counts.ejected()
        + " ejected, " + counts.unhealthy() + " unhealthy, " + counts.draining() + " draining"
        + (waiting > 0 ? ", " + waiting + " not yet probed" : "") + ")";
  }
}
