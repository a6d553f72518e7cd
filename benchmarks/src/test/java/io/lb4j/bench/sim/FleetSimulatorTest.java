package io.lb4j.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The fleet simulator at small sizes: the aperture's evenness and bounds, zone routing's shares. */
class FleetSimulatorTest {

  private static List<FleetResult> run(FleetScenario s) {
    return FleetSimulator.run(List.of(s), 1).get(s);
  }

  @Test
  void deterministicApertureGivesEveryBackendTheSameClientsAndBoundedConnections() {
    List<FleetResult> rs = run(FleetScenario.aperture(50, 100, 0, 4_000));
    FleetResult det = rs.get(0);
    assertEquals(FleetSimulation.DETERMINISTIC, det.mode());
    assertEquals(1.0, det.clientsMaxOverMean(), 1e-9, "every backend has the same number of clients");
    assertTrue(det.connectionsMax() <= Math.ceil(det.aperture()) + 1, det.connectionsMax() + " connections");
    // 50 clients x 4,000 requests over 100 backends: 2,000 each, sd 45; 1.10 is over 4 sd away
    assertTrue(det.maxOverMean() <= 1.10, "load max/mean " + det.maxOverMean());
    FleetResult random = rs.get(1);
    assertTrue(random.clientsMaxOverMean() > 1.2, "random subsets are uneven: " + random.clientsMaxOverMean());
  }

  @Test
  void withATenthOfTheBackendsDownNoClientLosesAllItsEndpoints() {
    FleetResult det = run(FleetScenario.aperture(100, 100, 0.1, 2_000)).get(0);
    assertEquals(0, det.clientsWithoutEndpoints());
    assertEquals(0, det.failed());
    assertTrue(det.maxOverMean() <= 1.35, "load max/mean " + det.maxOverMean());
    for (int i = 0; i < det.alive().length; i++) {
      if (!det.alive()[i]) {
        assertEquals(0, det.perBackend()[i], "a dead backend got requests");
      }
    }
  }

  @Test
  void zoneAwareRoutingMatchesEnvoysShares() {
    List<FleetResult> rs = run(FleetScenario.unevenZones(4_000));
    FleetResult aware = rs.get(0);
    assertEquals(FleetSimulation.ZONE_AWARE, aware.mode());
    assertEquals(0.30, aware.plannedLocalShare().get("a"), 1e-9);
    assertEquals(0.90, aware.plannedLocalShare().get("b"), 1e-9);
    assertEquals(1.00, aware.plannedLocalShare().get("c"), 1e-9);
    // 10 clients x 4,000 requests per zone: the measured share is within 2 points of the plan
    aware.localShare().forEach((z, share) -> assertEquals(aware.plannedLocalShare().get(z), share, 0.02, z));
    assertTrue(aware.maxOverMean() <= 1.15, "load max/mean " + aware.maxOverMean());
    FleetResult localOnly = rs.get(1);
    assertTrue(localOnly.maxOverMean() > 3, "the small zone overloads: " + localOnly.maxOverMean());
  }
}
