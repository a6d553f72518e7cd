package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The panic rule on its own, with endpoints named by letters: eligible ones, ones waiting for a
 * first probe ({@code unjudged}), ones that failed probes and ones ejected as unreachable.
 */
class PanicRuleTest {

  private static PanicRule.Decision<String> decide(List<String> usable, List<String> eligible, Set<String> unjudged,
      Set<String> probedDead, Set<String> unreachable, double threshold) {
    return PanicRule.decide(usable, eligible, unjudged::contains,
        e -> probedDead.contains(e) || unreachable.contains(e), threshold);
  }

  @Test
  void withoutDeadEndpointsItIsEnvoysRule() {
    // 1 of 3 eligible (two ejected for errors): panic over all three.
    PanicRule.Decision<String> d = decide(List.of("a", "b", "c"), List.of("a"), Set.of(), Set.of(), Set.of(), 0.5);
    assertTrue(d.panic());
    assertEquals(List.of("a", "b", "c"), d.offered());
    assertEquals(3, d.alive());
    // 2 of 4 is not below half: no panic, the caller picks among the eligible.
    d = decide(List.of("a", "b", "c", "d"), List.of("a", "b"), Set.of(), Set.of(), Set.of(), 0.5);
    assertFalse(d.panic());
    assertNull(d.offered());
  }

  @Test
  void deadEndpointsLeaveTheDenominatorAndThePanicSet() {
    // Issue 10 setup 1: healthy a, b ejected for 503s, c stopped (failed probes). Envoy: 1 of 3, panic
    // over all, traffic to the dead port. lb4j: 1 of 2 alive is not below half.
    PanicRule.Decision<String> d = decide(List.of("a", "b", "c"), List.of("a"), Set.of(), Set.of("c"), Set.of(), 0.5);
    assertFalse(d.panic());
    assertNull(d.offered());
    assertEquals(2, d.alive());
    // Four endpoints, one eligible, one ejected for errors, two unreachable: panic, but never the dead ones.
    d = decide(List.of("a", "b", "c", "d"), List.of("a"), Set.of(), Set.of(), Set.of("c", "d"), 0.6);
    assertTrue(d.panic());
    assertEquals(List.of("a", "b"), d.offered());
  }

  @Test
  void everyEndpointDeadByProbesFallsBackToAll() {
    // A verdict against the whole fleet is more often the check's fault: Envoy's panic over all.
    PanicRule.Decision<String> d = decide(List.of("a", "b"), List.of(), Set.of(), Set.of("a", "b"), Set.of(), 0.5);
    assertTrue(d.panic());
    assertEquals(List.of("a", "b"), d.offered());
    assertEquals(0, d.alive());
  }

  @Test
  void everyEndpointDeadButSomeOnlyByTrafficFallsBackToAll() {
    // Only traffic can tell an endpoint ejected as unreachable is back, so Envoy's panic applies.
    PanicRule.Decision<String> d = decide(List.of("a", "b"), List.of(), Set.of(), Set.of("a"), Set.of("b"), 0.5);
    assertTrue(d.panic());
    assertEquals(List.of("a", "b"), d.offered());
  }

  @Test
  void endpointsWaitingForAFirstProbeAreOfferedBeforeDeadOnes() {
    PanicRule.Decision<String> d = decide(List.of("a", "b", "new"), List.of(), Set.of("new"), Set.of("a", "b"),
        Set.of(), 0.5);
    assertTrue(d.panic());
    assertEquals(List.of("new"), d.offered());
    // Nothing judged at all (only newcomers): not panic, nothing eligible, as before.
    d = decide(List.of("new"), List.of(), Set.of("new"), Set.of(), Set.of(), 0.5);
    assertFalse(d.panic());
    assertNull(d.offered());
  }

  @Test
  void thresholdZeroNeverPanicsAndOffersOnlyTheEligible() {
    PanicRule.Decision<String> d = decide(List.of("a", "b"), List.of(), Set.of(), Set.of("a"), Set.of("b"), 0.0);
    assertFalse(d.panic());
    assertNull(d.offered());
  }
}
