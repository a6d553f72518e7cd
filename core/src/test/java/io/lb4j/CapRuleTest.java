package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The {@code maxEjectionPercent} rule on its own (unreachable ejections are never passed to it). */
class CapRuleTest {

  @Test
  void envoysRuleWithOneAlwaysAllowed() {
    assertTrue(OutlierEngine.capAllows(0, 2, 10), "one may always go");
    assertTrue(OutlierEngine.capAllows(0, 3, 0), "even with a cap of 0 %");
    assertFalse(OutlierEngine.capAllows(1, 4, 10));
    assertTrue(OutlierEngine.capAllows(1, 4, 50));
    assertFalse(OutlierEngine.capAllows(2, 4, 50));
    assertTrue(OutlierEngine.capAllows(3, 20, 20));
    assertFalse(OutlierEngine.capAllows(4, 20, 20));
  }
}
