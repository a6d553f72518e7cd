package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.PickContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The peak-EWMA picker over views whose estimates, stamps, loads and failures the test sets. */
class PeakEwmaPolicyTest {

  private static final long MS = 1_000_000L;
  private static final long TAU = Duration.ofSeconds(10).toNanos();

  private static int share(Picker picker, LoadView view, int picks) {
    return PickCounts.count(picker, picks).getOrDefault(view, 0);
  }

  @Test
  void defaultsAndDeclarations() {
    Policy p = Policies.peakEwma();
    assertEquals("peak_ewma", p.name());
    assertTrue(p.usesLatency(), "adapters must time requests");
    assertEquals(TAU, p.peakEwmaDecayNanos(), "Finagle's 10 s");
    assertEquals(Duration.ofSeconds(10), ((PeakEwmaPolicy) p).decay());
    assertEquals("peak_ewma(decay=10s)", p.toString());
    assertEquals(250 * MS, Policies.peakEwma(Duration.ofMillis(250)).peakEwmaDecayNanos());
    assertEquals(0L, Policies.powerOfTwoChoices().peakEwmaDecayNanos(), "other policies keep no estimate");
  }

  @Test
  void badDecaysAreRefusedByName() {
    for (Duration bad : new Duration[] {null, Duration.ZERO, Duration.ofSeconds(-1), Duration.ofNanos(999_999)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.peakEwma(bad));
      assertTrue(e.getMessage().startsWith("decay must be a duration in 0.001s.."), e.getMessage());
    }
    assertEquals(Duration.ofDays(10_000), ((PeakEwmaPolicy) Policies.peakEwma(Duration.ofDays(100_000))).decay(),
        "clamped like every other lb4j duration");
  }

  @Test
  void costIsLatencyTimesInFlightPlusOne() {
    LoadView slow = new LoadView(1, 1).latency(10 * MS, 0); // cost 10 at 0 in flight
    LoadView fast = new LoadView(2, 1).latency(4 * MS, 0);
    Picker picker = Policies.peakEwma().newPicker(List.of(slow, fast));
    fast.inFlight = 2; // 4 × 3 = 12 > 10
    for (int i = 0; i < 1_000; i++) {
      assertSame(slow, picker.pick(PickContext.EMPTY));
    }
    fast.inFlight = 1; // 4 × 2 = 8 < 10
    for (int i = 0; i < 1_000; i++) {
      assertSame(fast, picker.pick(PickContext.EMPTY));
    }
  }

  @Test
  void aSlowEndpointLosesEveryPairItIsIn() {
    List<LoadView> views = LoadView.of(1, 1, 1, 1);
    for (LoadView v : views) {
      v.latency(2 * MS, 0);
    }
    views.get(0).latency(50 * MS, 0);
    Map<EndpointView, Integer> counts = PickCounts.count(Policies.peakEwma().newPicker(views), 30_000);
    assertEquals(null, counts.get(views.get(0)));
    for (LoadView fast : views.subList(1, 4)) {
      // each fast one wins its pair with the slow one and half of its pairs with the other two
      assertEquals(1.0 / 3, counts.get(fast) / 30_000.0, 0.02, fast.toString());
    }
  }

  @Test
  void theOlderEstimateIsFadedToTheNewerOnesTime() {
    // 100 ms measured 30 s before a 10 ms one: faded by exp(-3) = 0.0498 to 4.98 ms, below 10 ms.
    LoadView old = new LoadView(1, 1).latency(100 * MS, 0);
    LoadView recent = new LoadView(2, 1).latency(10 * MS, 30 * TAU / 10);
    Picker picker = Policies.peakEwma().newPicker(List.of(old, recent));
    assertSame(old, picker.pick(PickContext.EMPTY));
    // 20 s before: faded by exp(-2) = 0.135 to 13.5 ms, above 10 ms.
    recent.latency(10 * MS, 2 * TAU);
    assertSame(recent, picker.pick(PickContext.EMPTY));
    // Same in the other order of draws, and with stamps from a ticker that reads negative.
    old.latency(100 * MS, Long.MIN_VALUE / 2);
    recent.latency(10 * MS, Long.MIN_VALUE / 2 + 3 * TAU);
    for (int i = 0; i < 100; i++) {
      assertSame(old, picker.pick(PickContext.EMPTY));
    }
    // A 1 ms decay fades the 30 s old estimate to nothing at all: still picked, no NaN.
    Picker quick = Policies.peakEwma(Duration.ofMillis(1)).newPicker(List.of(old, recent));
    for (int i = 0; i < 100; i++) {
      assertSame(old, quick.pick(PickContext.EMPTY));
    }
  }

  @Test
  void anEndpointWithoutEstimateCountsAsFastAsTheOther() {
    LoadView newcomer = new LoadView(1, 1); // no estimate yet
    LoadView known = new LoadView(2, 1).latency(500 * MS, 0);
    Picker picker = Policies.peakEwma().newPicker(List.of(newcomer, known));
    // equal loads: a fair coin, however slow the other is
    int n = share(picker, newcomer, 20_000);
    assertEquals(0.5, n / 20_000.0, 0.03);
    // then the loads decide, as in P2C
    newcomer.inFlight = 1;
    assertEquals(0, share(picker, newcomer, 1_000));
    known.inFlight = 2;
    assertEquals(1_000, share(picker, newcomer, 1_000));
  }

  @Test
  void aFastFailingEndpointIsNotAttractive() {
    // 1 ms but failing nearly everything: costs 20 ms (capped ratio 0.95), the healthy one 10 ms.
    LoadView failing = new LoadView(1, 1).latency(1 * MS, 0);
    failing.failureRatio = 0.99;
    LoadView healthy = new LoadView(2, 1).latency(10 * MS, 0);
    Picker picker = Policies.peakEwma().newPicker(List.of(failing, healthy));
    int picked = share(picker, failing, 32_000);
    // Only the compares that ignore the penalty (1 in 32) pick it: about 1,000 of 32,000.
    assertTrue(picked > 500 && picked < 1_600, "picked the failing endpoint " + picked + " times");
    failing.failureRatio = 0.0;
    assertEquals(32_000, share(picker, failing, 32_000), "without failures 1 ms beats 10 ms");
  }

  @Test
  void identicalEndpointsShareEvenly() {
    List<LoadView> views = LoadView.of(1, 1, 1, 1, 1);
    for (LoadView v : views) {
      v.latency(3 * MS, 42);
    }
    Map<EndpointView, Integer> counts = PickCounts.count(Policies.peakEwma().newPicker(views), 100_000);
    for (LoadView v : views) {
      assertEquals(0.2, counts.get(v) / 100_000.0, 0.01, v.toString());
    }
  }
}
