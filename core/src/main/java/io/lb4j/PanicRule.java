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
 *       first probe are offered if any; else, if some endpoint is dead only by outlier detection's
 *       word, all usable endpoints are (only traffic can tell that it is back, so Envoy's panic
 *       applies); else (every one failed its active health checks, which keep probing) none is, and
 *       picks fail at once with a message that says so.
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
   *     then prefer a zone); empty when every endpoint is known dead by active health checks
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
   * @param deadByProbe whether a usable endpoint failed its active health checks
   * @param threshold the panic threshold, 0..1
   */
  static <T> Decision<T> decide(List<T> usable, List<T> eligible, Predicate<T> unjudged, Predicate<T> dead,
      Predicate<T> deadByProbe, double threshold) {
    List<T> notDead = new ArrayList<>(usable.size());
    int alive = 0;
    boolean onlyProbedDead = true;
    for (T e : usable) {
      if (!dead.test(e)) {
        notDead.add(e);
        alive += unjudged.test(e) ? 0 : 1;
      } else if (!deadByProbe.test(e)) {
        onlyProbedDead = false;
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
    return onlyProbedDead ? new Decision<>(false, List.of(), 0) : new Decision<>(true, usable, 0);
  }
}
