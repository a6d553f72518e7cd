package io.lb4j.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The fault simulator's scenarios hold issue 10's promises on simulated time, seed after seed. */
class FaultSimulatorTest {

  private static final int SEEDS = 5;

  private static void holds(FaultScenario s, int ejectedBackend) {
    for (FaultResult r : FaultSimulator.runSeeds(s, SEEDS)) {
      String where = s.name() + " seed " + r.seed() + ": " + r;
      assertEquals(s.requests(), r.requests(), where);
      assertTrue(r.successRate() >= 0.995, where);
      assertTrue(r.maxHits() <= s.maxAttempts(), where);
      assertTrue(r.ejections()[ejectedBackend] >= 1, where);
      assertEquals(0, r.inFlightAtEnd(), where);
    }
  }

  @Test
  void flakyAndStoppedCostsNoRequests() {
    holds(FaultScenario.flakyAndStopped(), 2);
  }

  @Test
  void alwaysFailingClosedAndSlowCostNoRequests() {
    FaultScenario s = FaultScenario.fourBroken();
    holds(s, 0);
    for (FaultResult r : FaultSimulator.runSeeds(s, SEEDS)) {
      assertTrue(r.ejections()[1] >= 1, "the closed port is ejected past the cap: " + r);
    }
  }

  @Test
  void whenEveryBackendFailsCallersFailPromptly() {
    for (FaultScenario s : List.of(FaultScenario.allRefusing(), FaultScenario.all503())) {
      for (FaultResult r : FaultSimulator.runSeeds(s, SEEDS)) {
        assertEquals(s.requests(), r.failed(), s.name());
        assertTrue(r.maxHits() <= s.maxAttempts(), s.name());
        // Refused connections and 503s come at once; only the backoff (25 ms, then 50 ms, jittered) waits.
        assertTrue(r.failedP99() < 200, s.name() + " p99 of failures " + r.failedP99() + " ms");
      }
    }
  }

  @Test
  void aKilledBackendComesBackAfterItsRestart() {
    for (FaultResult r : FaultSimulator.runSeeds(FaultScenario.killedAndRestarted(), SEEDS)) {
      assertTrue(r.successRate() >= 0.995, r.toString());
      // A third of the 3,000 requests after the restart, less the ~2 s the checks need to see it back.
      assertTrue(r.afterRestart() > 400, "served after its restart: " + r.afterRestart());
    }
  }

  @Test
  void aRunWhereEveryBackendFailsEndsWithEveryRequestAnsweredAsAFailure() {
    // P2C and backoff draw from ThreadLocalRandom, so two runs are not compared; what must hold
    // whatever the draws: every request gets an answer (a failure here) and the run ends.
    FaultScenario scenario = FaultScenario.all503();
    FaultResult a = FaultSimulator.run(scenario, 3L);
    assertEquals(scenario.requests(), a.requests());
    assertEquals(a.requests(), a.failed(), "all backends answer 503");
    assertTrue(a.seconds() > 0 && a.seconds() < 60, a.seconds() + " s simulated");
  }
}
