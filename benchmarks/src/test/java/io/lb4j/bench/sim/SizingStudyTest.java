package io.lb4j.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The sizing study at a small scale: what the README recommends for 3 backends holds, and every
 * run ends with its requests accounted for ({@link SizingStudy#summarize} checks in-flight counts).
 */
class SizingStudyTest {

  private static final int SEEDS = 3;
  /**
   * Half the documented run (30 s simulated, 7,200 requests for 3 backends): long enough that the
   * two settings' shares of failed requests (about 12 % and 6 %) never overlap from run to run.
   */
  private static final double SCALE = 0.5;

  @Test
  void recommendedSettingsForThreeBackendsLoseFewerRequestsAndCutTheTail() {
    FaultScenario three = SizingStudy.scenario(3, SCALE);
    SizingStudy.Summary defaults = SizingStudy.summarize(three.with(FaultSettings.defaults()), SEEDS);
    SizingStudy.Summary recommended = SizingStudy.summarize(three.with(SizingStudy.recommended(3)), SEEDS);
    String both = "defaults " + defaults + ", recommended " + recommended;
    // Panic at 0.75 keeps the flapping backend's capacity when its ejection would leave one backend
    // carrying the fleet; fast checks find the vanished host before many requests wait out its timeout.
    assertTrue(recommended.failed() <= defaults.failed(), both);
    assertTrue(recommended.p99() < defaults.p99(), both);
    assertTrue(recommended.timeouts() < defaults.timeouts(), both);
  }

  @Test
  void theFaultMixScalesWithTheFleet() {
    for (int size : SizingStudy.SIZES) {
      FaultScenario s = SizingStudy.scenario(size, SCALE);
      assertEquals(size, s.backends().size());
      long dead = s.backends().stream().filter(FaultBackend::blackholed).count();
      assertEquals(Math.max(1, size / 10), dead, s.description());
      assertEquals(1, s.backends().stream().filter(b -> b.flapMillis() > 0).count(), s.description());
    }
    assertThrows(IllegalArgumentException.class, () -> SizingStudy.scenario(2, 1));
  }

  @Test
  void badSettingsAreRefusedNamingTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FaultSettings.defaults().toBuilder().panicThreshold(1.5).build());
    assertTrue(e.getMessage().contains("panicThreshold") && e.getMessage().contains("1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FaultSettings.defaults().toBuilder().maxAttempts(0).build());
    assertTrue(e.getMessage().contains("maxAttempts"), e.getMessage());
  }

  @Test
  void aSizingRunAnswersEveryRequestAndEnds() {
    FaultScenario s = SizingStudy.scenario(10, 0.05);
    FaultResult a = FaultSimulator.run(s, 7L);
    assertEquals(s.requests(), a.requests());
    assertEquals(0, a.inFlightAtEnd());
    assertTrue(a.seconds() > 0 && a.seconds() < 10, a.seconds() + " s simulated");
  }
}
