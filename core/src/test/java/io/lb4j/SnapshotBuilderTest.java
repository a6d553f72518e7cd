package io.lb4j;

import static io.lb4j.EndpointStatus.DRAINING;
import static io.lb4j.EndpointStatus.EJECTED;
import static io.lb4j.EndpointStatus.HEALTHY;
import static io.lb4j.EndpointStatus.UNHEALTHY;
import static io.lb4j.EndpointStatus.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.SnapshotBuilder.Candidate;
import io.lb4j.SnapshotBuilder.Eligibility;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure eligibility function: statuses in, chosen set, panic, counts and message out. No balancer, no threads. */
class SnapshotBuilderTest {

  /** Candidates in zone "a", probed unless UNKNOWN. */
  private static List<Candidate> of(EndpointStatus... statuses) {
    List<Candidate> out = new ArrayList<>();
    for (EndpointStatus s : statuses) {
      out.add(new Candidate(s, s != UNKNOWN && s != DRAINING, "a"));
    }
    return out;
  }

  private static Eligibility decide(List<Candidate> in, double threshold) {
    return SnapshotBuilder.decide(in, threshold, null, "t", null);
  }

  @Test
  void healthyAreChosenInListOrder() {
    Eligibility e = decide(of(HEALTHY, EJECTED, HEALTHY, UNHEALTHY, HEALTHY), 0.5);
    assertArrayEquals(new int[] {0, 2, 4}, e.chosen());
    assertFalse(e.panic());
    assertEquals(3, e.eligibleCount());
    assertEquals(5, e.judged());
    assertEquals(new StatusCounts(3, 0, 1, 1, 0), e.counts());
  }

  @Test
  void panicBelowTheThresholdPicksFromEveryUsableEndpoint() {
    Eligibility e = decide(of(HEALTHY, EJECTED, UNHEALTHY, DRAINING), 0.5);
    assertTrue(e.panic(), "1 of 3 judged is below 0.5");
    assertArrayEquals(new int[] {0, 1, 2}, e.chosen(), "all but the drained one");
    assertFalse(decide(of(HEALTHY, EJECTED, UNHEALTHY, DRAINING), 0.3).panic(), "1 of 3 is above 0.3");
    assertFalse(decide(of(EJECTED, EJECTED), 0.0).panic(), "0 disables panic");
    assertEquals(0, decide(of(EJECTED, EJECTED), 0.0).chosen().length);
  }

  @Test
  void coldStartTriesUnknownEndpointsUntilOneIsProbed() {
    List<Candidate> none = List.of(new Candidate(UNKNOWN, false, ""), new Candidate(UNKNOWN, false, ""));
    assertArrayEquals(new int[] {0, 1}, decide(none, 0.5).chosen(), "nothing probed yet: all are tried");
    List<Candidate> one = List.of(new Candidate(HEALTHY, true, ""), new Candidate(UNKNOWN, false, ""));
    Eligibility e = decide(one, 0.5);
    assertArrayEquals(new int[] {0}, e.chosen(), "once one is probed, the others wait for their first pass");
    assertEquals(1, e.judged(), "a waiting endpoint is not judged");
    assertFalse(e.panic(), "so a scale-up does not cause panic");
    assertEquals(new StatusCounts(1, 0, 0, 0, 1), e.counts());
  }

  @Test
  void messagesSayWhyNothingCanBePicked() {
    assertEquals("load balancer 't' has no endpoints: the endpoint list is empty", decide(List.of(), 0.5).unavailable());
    assertEquals("load balancer 't' has no endpoints: the endpoint list is empty (endpoint source dns failed: boom)",
        SnapshotBuilder.decide(List.of(), 0.5, null, "t", "endpoint source dns failed: boom").unavailable());
    List<Candidate> waiting = List.of(new Candidate(UNHEALTHY, true, ""), new Candidate(UNKNOWN, false, ""),
        new Candidate(EJECTED, true, ""), new Candidate(DRAINING, false, ""));
    assertEquals("load balancer 't': all 4 endpoints are unavailable (1 ejected, 1 unhealthy, 1 draining, 1 not yet probed)",
        decide(waiting, 0.0).unavailable());
  }

  @Test
  void localZoneWhileEnoughOfItIsEligibleElseSpillOver() {
    List<Candidate> in = new ArrayList<>();
    for (EndpointStatus s : new EndpointStatus[] {HEALTHY, HEALTHY, EJECTED, EJECTED}) {
      in.add(new Candidate(s, true, "local"));
    }
    in.add(new Candidate(HEALTHY, true, "remote"));
    in.add(new Candidate(HEALTHY, true, "remote"));
    Eligibility stay = SnapshotBuilder.decide(in, 0.5, "local", "t", null);
    assertTrue(stay.zone().local(), "2 of 4 local: at the threshold");
    assertArrayEquals(new int[] {0, 1}, stay.chosen());
    in.set(1, new Candidate(EJECTED, true, "local"));
    Eligibility spill = SnapshotBuilder.decide(in, 0.5, "local", "t", null);
    assertFalse(spill.zone().local(), "1 of 4 local: below");
    assertArrayEquals(new int[] {0, 4, 5}, spill.chosen());
    assertFalse(spill.panic(), "3 of 6 overall is not below 0.5");
    assertNull(SnapshotBuilder.decide(in, 0.5, null, "t", null).zone(), "no local zone, no decision");
  }

  @Test
  void panicIsDecidedBeforeZones() {
    List<Candidate> in = List.of(new Candidate(HEALTHY, true, "local"), new Candidate(EJECTED, true, "local"),
        new Candidate(EJECTED, true, "remote"), new Candidate(EJECTED, true, "remote"));
    Eligibility e = SnapshotBuilder.decide(in, 0.5, "local", "t", null);
    assertTrue(e.panic());
    assertNull(e.zone(), "no zone decision in panic mode");
    assertArrayEquals(new int[] {0, 1, 2, 3}, e.chosen());
  }

  @Test
  void knownDeadEndpointsLeaveThePanicDenominatorAndThePicks() {
    // healthy, ejected for errors, failed its probes: 1 eligible of 2 not known dead, no panic
    List<Candidate> in = List.of(new Candidate(HEALTHY, true, "", false),
        new Candidate(EJECTED, true, "", false), new Candidate(UNHEALTHY, true, "", true));
    Eligibility e = decide(in, 0.5);
    assertFalse(e.panic());
    assertEquals(2, e.judged());
    assertArrayEquals(new int[] {0}, e.chosen());
    // one more ejected for errors: 1 of 3 alive, panic among the alive only
    List<Candidate> worse = new ArrayList<>(in);
    worse.add(new Candidate(EJECTED, true, "", false));
    Eligibility p = decide(worse, 0.5);
    assertTrue(p.panic());
    assertArrayEquals(new int[] {0, 1, 3}, p.chosen(), "never the endpoint that failed its probes");
    // every endpoint failed its probes: the verdict is more likely wrong than the fleet all down,
    // so Envoy's panic over all of them
    Eligibility dead = decide(List.of(new Candidate(UNHEALTHY, true, "", true),
        new Candidate(UNHEALTHY, true, "", true)), 0.5);
    assertTrue(dead.panic());
    assertArrayEquals(new int[] {0, 1}, dead.chosen());
  }
}
