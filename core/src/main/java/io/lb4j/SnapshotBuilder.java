package io.lb4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Eligibility, panic mode and zone preference as one pure function: the statuses of the present
 * endpoints in, the endpoints the picker gets (and why none, when none) out. No threads, no clock,
 * no state: {@link Routing} feeds it for each part of the fleet on every rebuild, tests call it
 * directly.
 *
 * <ul>
 *   <li><b>Eligible</b>: status {@code HEALTHY}, or {@code UNKNOWN} while no endpoint has an active
 *       health verdict yet (a cold start serves rather than waits), and reachable (below).
 *   <li><b>Judged</b>: present, not draining, and not still waiting for a first probe once others
 *       have one. Waiting endpoints do not count towards panic, so a scale-up or a first probe
 *       round does not flip the balancer into panic.
 *   <li><b>Panic</b> ({@link PanicRule}: Envoy's, less the endpoints known dead): fewer than
 *       {@code panicThreshold} of the judged endpoints that are not known dead are eligible; then
 *       every usable (not draining) endpoint that is not known dead is picked from.
 *   <li><b>Zone</b>: otherwise {@link ZonePreference} may narrow the eligible set to the local zone.
 *   <li><b>Connectivity</b> (what a transport adapter reports, {@link Connectivity}): an endpoint the
 *       transport cannot use now is <em>unreachable</em>: {@code DISCONNECTED} always, and
 *       {@code CONNECTING} unless the policy hashes (a key's request waits for its endpoint's
 *       connection rather than move). Unreachable endpoints are neither eligible nor usable, so they
 *       count neither way towards panic and panic never offers them; they do count towards their
 *       zone (so a zone whose endpoints cannot connect spills over). Their status shows as
 *       {@link EndpointStatus#NOT_CONNECTED} unless a stronger one (drained, ejected, unhealthy)
 *       applies: see {@link #shown}.
 * </ul>
 */
final class SnapshotBuilder {

  private SnapshotBuilder() {}

  /**
   * What the builder needs to know of one present endpoint.
   *
   * @param status its health status now (drained, ejected, unhealthy, healthy, unknown)
   * @param probed not drained, and active health checks have given it a verdict
   * @param zone its zone
   * @param knownDead failed its checks, or ejected as unreachable: hard evidence that it is down
   * @param connectivity what the transport reports; {@link Connectivity#CONNECTED} when it reports nothing
   */
  record Candidate(EndpointStatus status, boolean probed, String zone, boolean knownDead,
      Connectivity connectivity) {

    /** A connected candidate. */
    Candidate(EndpointStatus status, boolean probed, String zone, boolean knownDead) {
      this(status, probed, zone, knownDead, Connectivity.CONNECTED);
    }

    /** A connected candidate that is not known dead. */
    Candidate(EndpointStatus status, boolean probed, String zone) {
      this(status, probed, zone, false);
    }

    /** Whether the transport can use it now ({@code CONNECTING} only when the policy waits for it). */
    boolean reachable(boolean connectingPickable) {
      return connectivity == Connectivity.CONNECTED
          || (connectingPickable && connectivity == Connectivity.CONNECTING);
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
   * @param counts candidates per status, as {@link #shown}
   * @param unavailable the message a pick gets when {@code chosen} is empty
   * @param shown per candidate: its status as reported ({@link #shown})
   */
  record Eligibility(boolean[] eligible, int[] chosen, boolean panic, int eligibleCount, int judged,
      ZonePreference.Decision zone, StatusCounts counts, String unavailable, EndpointStatus[] shown) {}

  /**
   * The status an endpoint shows: its own ({@code health}), or {@link EndpointStatus#NOT_CONNECTED}
   * when it is otherwise healthy or unprobed and the transport reports no working connection.
   */
  static EndpointStatus shown(EndpointStatus health, Connectivity connectivity) {
    boolean weak = health == EndpointStatus.HEALTHY || health == EndpointStatus.UNKNOWN;
    return weak && connectivity != Connectivity.CONNECTED ? EndpointStatus.NOT_CONNECTED : health;
  }

  /**
   * Decides one snapshot's eligibility for a policy that does not hash.
   *
   * @param candidates the present endpoints, in insertion order
   * @param panicThreshold 0.0..1.0; 0 disables panic mode
   * @param localZone the zone to prefer, or null
   * @param name the balancer's name, for the message
   * @param emptyReason why the list is empty, for the message (e.g. the endpoint source's error)
   */
  static Eligibility decide(List<Candidate> candidates, double panicThreshold, String localZone, String name,
      String emptyReason) {
    return decide(candidates, anyProbed(candidates), false, panicThreshold, localZone, name, emptyReason);
  }

  /** Whether any candidate has an active health verdict (then unprobed ones wait for theirs). */
  static boolean anyProbed(List<Candidate> candidates) {
    for (Candidate c : candidates) {
      if (c.probed()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a candidate is eligible on its own merits: reachable, and healthy or not yet probed
   * while no endpoint of the balancer (given as {@code anyProbed}) has been.
   */
  static boolean eligible(Candidate c, boolean anyProbed, boolean connectingPickable) {
    return c.reachable(connectingPickable)
        && (c.status() == EndpointStatus.HEALTHY || (c.status() == EndpointStatus.UNKNOWN && !anyProbed));
  }

  /**
   * Decides the eligibility of a part of the balancer's endpoints (a priority level, a subset), as
   * {@link #decide(List, double, String, String, String)} does for a whole list: {@code anyProbed}
   * says whether any endpoint of the whole balancer has been probed, so that a part's newcomers wait
   * for their first probe as the whole's do.
   *
   * @param connectingPickable whether {@link Connectivity#CONNECTING} endpoints may be picked (hash
   *     policies: the request waits for the connection)
   */
  static Eligibility decide(List<Candidate> candidates, boolean anyProbed, boolean connectingPickable,
      double panicThreshold, String localZone, String name, String emptyReason) {
    int n = candidates.size();
    boolean[] eligible = new boolean[n];
    EndpointStatus[] shown = new EndpointStatus[n];
    List<Integer> usable = new ArrayList<>(n);
    List<Integer> eligibleIndices = new ArrayList<>(n);
    int waiting = 0;
    for (int i = 0; i < n; i++) {
      Candidate c = candidates.get(i);
      EndpointStatus status = c.status();
      shown[i] = shown(status, c.connectivity());
      boolean reachable = c.reachable(connectingPickable);
      eligible[i] = eligible(c, anyProbed, connectingPickable);
      if (status != EndpointStatus.DRAINING && reachable) {
        usable.add(i);
      }
      if (eligible[i]) {
        eligibleIndices.add(i);
      } else if (status == EndpointStatus.UNKNOWN && reachable) {
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
    StatusCounts counts = StatusCounts.of(Arrays.asList(shown));
    return new Eligibility(eligible, chosen, panic.panic(), eligibleIndices.size(), panic.alive(), zone, counts,
        unavailableMessage(name, n, counts, waiting, emptyReason), shown);
  }

  /** Why a pick finds nothing: an empty list (and why), or how the endpoints are unavailable. */
  static String unavailableMessage(String name, int total, StatusCounts counts, int waiting, String emptyReason) {
    if (total == 0) {
      return "load balancer '" + name + "' has no endpoints: the endpoint list is empty"
          + (emptyReason == null ? "" : " (" + emptyReason + ")");
    }
    return "load balancer '" + name + "': all " + total + " endpoints are unavailable (" + counts.ejected()
        + " ejected, " + counts.unhealthy() + " unhealthy, " + counts.draining() + " draining"
        + (counts.notConnected() > 0 ? ", " + counts.notConnected() + " not connected" : "")
        + (waiting > 0 ? ", " + waiting + " not yet probed" : "") + ")";
  }
}
