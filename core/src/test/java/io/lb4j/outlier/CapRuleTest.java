package io.lb4j.outlier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The {@code maxEjectionPercent} rule on its own (unreachable ejections are never passed to it). */
class CapRuleTest {

  @Test
  void envoysRuleWithOneAlwaysAllowed() {
    assertTrue(OutlierDetector.capAllows(0, 2, 10), "one may always go");
    assertTrue(OutlierDetector.capAllows(0, 3, 0), "even with a cap of 0 %");
    assertFalse(OutlierDetector.capAllows(1, 4, 10));
    assertTrue(OutlierDetector.capAllows(1, 4, 50));
    assertFalse(OutlierDetector.capAllows(2, 4, 50));
    assertTrue(OutlierDetector.capAllows(3, 20, 20));
    assertFalse(OutlierDetector.capAllows(4, 20, 20));
  }
}
