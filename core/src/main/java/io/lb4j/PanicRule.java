package io.lb4j;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Panic mode, as lb4j decides it: which endpoints a picker is built from when too few are eligible.
 * A pure function of the endpoints' health, so that whatever builds pickers can call it.
 *
 * <p>Envoy's rule: when fewer than {@code threshold} of the endpoints are eligible, pick among all
 * of them, because spreading load over some bad endpoints beats overloading the few good ones. lb4j
 * differs for endpoints <em>known dead</em> (an active health check failed them, or outlier
 * detection ejected them because they refused every connection; see
 * {@code OutlierDetector.Tracker#unreachable()}): sending a request there helps nobody, so
 *
 * <ul>
 *   <li>they leave the panic denominator: panic when {@code eligible < threshold × alive}, with
 *       {@code alive} the judged endpoints (not draining, not waiting for a first probe) that are
 *       not known dead;
 *   <li>in panic, picks go to every usable endpoint that is not known dead (ejected for errors
 *       included, as in Envoy);
 *   <li>when every judged endpoint is known dead and none is eligible: endpoints still waiting for a
 *       first probe are offered if any; else all usable endpoints are, as in Envoy. A verdict that
 *       condemns the whole fleet is more often the verdict's fault than the fleet's (a broken health
 *       endpoint, a probe path blocked by a firewall, a client too starved of CPU to finish its
 *       probes in time), and failing every request then would turn a health-check problem into an
 *       outage; when the fleet really is down, each request still fails promptly (refused
 *       connections), within {@code maxAttempts} and the retry budget.
 * </ul>
 *
 * <p>A threshold of 0 disables panic mode altogether: only eligible endpoints are ever offered.
 */
final class PanicRule {

  private PanicRule() {}

  /**
   * What to build the picker from.
   *
   * @param panic whether the balancer is in panic mode
   * @param offered the endpoints to pick among, or null to use the eligible ones (the caller may
   *     then prefer a zone)
   * @param alive the panic denominator: judged endpoints not known dead
   */
  record Decision<T>(boolean panic, List<T> offered, int alive) {}

  /**
   * Decides panic mode.
   *
   * @param usable present endpoints that are not draining, in order
   * @param eligible those that may take traffic normally (a subset of {@code usable})
   * @param unjudged whether a usable endpoint is not eligible only because it still waits for its
   *     first health probe (it counts neither way)
   * @param dead whether a usable endpoint is known dead (failed active checks, or ejected as
   *     unreachable)
   * @param threshold the panic threshold, 0..1
   */
  static <T> Decision<T> decide(List<T> usable, List<T> eligible, Predicate<T> unjudged, Predicate<T> dead,
      double threshold) {
    List<T> notDead = new ArrayList<>(usable.size());
    int alive = 0;
    for (T e : usable) {
      if (!dead.test(e)) {
        notDead.add(e);
        alive += unjudged.test(e) ? 0 : 1;
      }
    }
    if (threshold <= 0) {
      return new Decision<>(false, null, alive);
    }
    if (alive > 0) {
      boolean panic = eligible.size() < threshold * alive;
      return new Decision<>(panic, panic ? notDead : null, alive);
    }
    if (!eligible.isEmpty() || notDead.size() == usable.size()) {
      return new Decision<>(false, null, 0); // nothing judged dead: nothing to panic about
    }
    if (!notDead.isEmpty()) {
      return new Decision<>(true, notDead, 0);
    }
    return new Decision<>(true, usable, 0);
  }
}
