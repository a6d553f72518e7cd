package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.StaticEndpointSource;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.StderrLog;
import io.lb4j.testing.TestPolicies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a list update tells (issue 18 §4): one INFO line and one listener event per join, change and
 * leave; nothing at all, not even a rebuild, for an unchanged list.
 */
class EndpointChangesTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");
  private static final Endpoint C = Endpoint.parse("10.0.0.3:80");

  @Test
  void joinsChangesAndLeavesGiveOneLineAndOneEventEach() {
    try (StderrLog log = StderrLog.capture()) {
      LoadBalancer lb = lbs.build(lbs.builder("orders").endpoints(List.of(A, B)));
      assertEquals(List.of("added 10.0.0.1:80 w=1 zone=", "added 10.0.0.2:80 w=1 zone=", "updated 2"),
          lbs.listener.changes);
      assertEquals(1, log.lines("INFO", "lb=orders first endpoint list: 2 endpoints").size(), log.text());
      assertEquals(List.of(), log.lines("INFO", "joined"), "the first list's joins are at DEBUG");
      lbs.listener.changes.clear();

      Endpoint c = new Endpoint("10.0.0.3", 80, 2, "eu-1b", Map.of("version", "2"));
      lb.updateEndpoints(List.of(A.withWeight(3), B.withZone("eu-1b"), c));
      assertEquals(List.of("added 10.0.0.3:80 w=2 zone=eu-1b", "changed 10.0.0.1:80 w=1->3 zone=->",
          "changed 10.0.0.2:80 w=1->1 zone=->eu-1b", "updated 3"), lbs.listener.changes);
      assertEquals(List.of(), lbs.listener.events, "no status changed");
      assertEquals(1, log.lines("INFO", "lb=orders endpoint=10.0.0.3:80 joined (weight 2, zone eu-1b, metadata"
          + " {version=2})").size(), log.text());
      assertEquals(1, log.lines("INFO", "lb=orders endpoint=10.0.0.1:80 changed: weight 1 -> 3").size(), log.text());
      assertEquals(1, log.lines("INFO", "lb=orders endpoint=10.0.0.2:80 changed: zone '' -> 'eu-1b'").size());
      lbs.listener.changes.clear();

      lb.updateEndpoints(List.of(A.withWeight(3), c.withZone("eu-1c")));
      assertEquals(List.of("changed 10.0.0.3:80 w=2->2 zone=eu-1b->eu-1c", "removed 10.0.0.2:80", "updated 2"),
          lbs.listener.changes);
      assertEquals(List.of("10.0.0.2:80 HEALTHY->DRAINING"), lbs.listener.events);
      assertEquals(1, log.lines("INFO", "lb=orders endpoint=10.0.0.2:80 HEALTHY -> DRAINING: removed from the"
          + " endpoint list").size(), "a leave is its status change line");
      lbs.listener.changes.clear();

      lb.updateEndpoints(List.of(A.withWeight(3), c.withZone("eu-1c").withMetadata(Map.of("version", "3"))));
      assertEquals(List.of("changed 10.0.0.3:80 w=2->2 zone=eu-1c->eu-1c metadata={version=3}", "updated 2"),
          lbs.listener.changes);
      assertEquals(1, log.lines("INFO", "endpoint=10.0.0.3:80 changed: metadata {version=2} -> {version=3}").size());
    }
  }

  @Test
  void anUnchangedListIsANoOpWithoutRebuildOrEvent() {
    TestPolicies.Counting counting = new TestPolicies.Counting(TestPolicies.roundRobin());
    LoadBalancer lb = lbs.build(lbs.builder("same").policy(counting).endpoints(List.of(A, B.withWeight(2))));
    Endpoint listedA = lb.endpoints().get(0);
    int builds = counting.builds();
    lbs.listener.changes.clear();
    try (StderrLog log = StderrLog.capture()) {
      for (int i = 0; i < 3; i++) {
        lb.updateEndpoints(List.of(Endpoint.parse("10.0.0.1:80"), Endpoint.parse("10.0.0.2:80").withWeight(2)));
      }
      assertEquals(builds, counting.builds(), "no rebuild");
      assertEquals(List.of(), lbs.listener.changes, "no event");
      assertEquals("", log.text(), "no line");
    }
    assertSame(listedA, lb.endpoints().get(0), "the listed objects stay");

    lb.updateEndpoints(List.of(B.withWeight(2), A));
    assertEquals(List.of("updated 2"), lbs.listener.changes, "a new order rebuilds, and changes no endpoint");
    assertEquals(builds + 1, counting.builds());
  }

  @Test
  void aSourceRepeatingItsListChangesNothing() {
    StaticEndpointSource source = StaticEndpointSource.of(A, B);
    LoadBalancer lb = lbs.build(lbs.builder("repeat").endpointSource(source));
    lbs.listener.changes.clear();
    Endpoint listedB = lb.endpoints().get(1);
    for (int i = 0; i < 5; i++) {
      source.update(List.of(A, B));
    }
    assertEquals(List.of(), lbs.listener.changes);
    assertSame(listedB, lb.endpoints().get(1));
    source.update(List.of(A, B, C));
    assertEquals(List.of("added 10.0.0.3:80 w=1 zone=", "updated 3"), lbs.listener.changes);
  }

  @Test
  void anEndpointBackBeforeItsLastRequestEndedJoinsAgain() {
    LoadBalancer lb = lbs.build(lbs.builder("back").endpoints(List.of(A, B)));
    Selection held = lb.begin(B);
    lb.updateEndpoints(List.of(A));
    lb.updateEndpoints(List.of(A, B));
    assertTrue(lbs.listener.changes.contains("removed 10.0.0.2:80"), lbs.listener.changes::toString);
    assertEquals("added 10.0.0.2:80 w=1 zone=", lbs.listener.changes.get(lbs.listener.changes.size() - 2));
    held.release(Outcome.SUCCESS, 1);
  }
}
