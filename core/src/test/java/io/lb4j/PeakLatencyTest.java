package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.TestPolicies;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The peak-EWMA estimate: Finagle's update formulas, lb4j's failure rules, and where it lives. */
class PeakLatencyTest {

  private static final long MS = 1_000_000L;
  private static final long TAU = 10_000 * MS;

  private final AtomicLong now = new AtomicLong(123_456_789L);
  private final PeakLatency peak = new PeakLatency(now::get, TAU);

  private void after(long nanos, Outcome outcome, long latency) {
    now.addAndGet(nanos);
    peak.observe(outcome, latency);
  }

  @Test
  void aSlowerSampleIsTheNewPeakAtOnce() {
    assertEquals(0.0, peak.estimate(), "no sample yet");
    after(0, Outcome.SUCCESS, 10 * MS);
    assertEquals(10 * MS, peak.estimate());
    assertEquals(now.get(), peak.stamp());
    after(5, Outcome.SUCCESS, 80 * MS);
    assertEquals(80 * MS, peak.estimate(), "jumps, no averaging");
  }

  @Test
  void aShunnedEndpointThatFadedIsBackWithItsNextFastResponse() {
    after(0, Outcome.SUCCESS, 52 * MS);
    after(4 * TAU, Outcome.SUCCESS, 2 * MS); // faded to 0.95 ms: a 2 ms answer is the new peak
    assertEquals(2 * MS, peak.estimate());
  }

  @Test
  void aFasterSampleWeighsByTheTimeSinceTheLast() {
    after(0, Outcome.SUCCESS, 100 * MS);
    after(TAU, Outcome.SUCCESS, 10 * MS); // one time constant later: faded to 100/e, then w = 1/e
    double w = Math.exp(-1);
    assertEquals(100 * MS * w * w + 10 * MS * (1 - w), peak.estimate(), 1.0);
    double before = peak.estimate();
    after(TAU / 1000, Outcome.SUCCESS, 10 * MS); // soon after: a small step
    double faded = before * Math.exp(-0.001);
    assertEquals(faded + (10 * MS - faded) * (1 - Math.exp(-0.001)), peak.estimate(), 1.0);
    // long after, the old estimate has all but faded: the sample is the estimate
    after(100 * TAU, Outcome.SUCCESS, 7 * MS);
    assertEquals(7 * MS, peak.estimate(), 1.0);
  }

  @Test
  void failuresNeverLowerTheEstimateAndRestartItsFading() {
    after(0, Outcome.SERVER_ERROR, MS);
    assertEquals(0.0, peak.estimate(), "a failure starts no estimate");
    after(0, Outcome.SUCCESS, 20 * MS);
    long stamp = peak.stamp();
    after(TAU, Outcome.SERVER_ERROR, MS); // fast 503
    assertEquals(20 * MS, peak.estimate(), "kept, not averaged with 1 ms");
    assertEquals(stamp + TAU, peak.stamp(), "faded from now on, not from the last success");
    after(1, Outcome.TIMEOUT, 2_000 * MS);
    assertEquals(2_000 * MS, peak.estimate(), "a slow failure raises it");
    after(1, Outcome.CONNECT_FAILURE, MS);
    assertEquals(2_000 * MS, peak.estimate());
  }

  @Test
  void aCancelledRequestCanOnlyRaiseTheFadedEstimate() {
    after(0, Outcome.CANCELLED, 5 * MS);
    assertEquals(0.0, peak.estimate(), "no estimate from a cancellation alone");
    after(0, Outcome.SUCCESS, 20 * MS);
    long stamp = peak.stamp();
    after(TAU, Outcome.CANCELLED, 5 * MS); // 20 ms faded to 7.4 ms: 5 ms says nothing
    assertEquals(20 * MS, peak.estimate());
    assertEquals(stamp, peak.stamp(), "untouched: it keeps fading");
    after(0, Outcome.CANCELLED, 9 * MS); // above 7.4 ms: a lower bound that raises it
    assertEquals(9 * MS, peak.estimate());
    assertEquals(now.get(), peak.stamp());
  }

  @Test
  void aTickerThatGoesBackCountsAsNoTimePassed() {
    after(0, Outcome.SUCCESS, 50 * MS);
    long stamp = peak.stamp();
    after(-TAU, Outcome.SUCCESS, 10 * MS);
    assertEquals(50 * MS, peak.estimate(), "w = 1: the lower sample weighs nothing");
    assertEquals(stamp, peak.stamp(), "the stamp never goes back");
  }

  @Test
  void aZeroLatencyIsStoredAsOneNanosecondSoZeroKeepsMeaningNone() {
    after(0, Outcome.SUCCESS, 0);
    assertEquals(1.0, peak.estimate());
  }

  @Test
  void theDecayMustBePositive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PeakLatency(now::get, 0));
    assertTrue(e.getMessage().startsWith("decayNanos"), e.getMessage());
  }

  @Test
  void theBalancerKeepsItOnlyForAPolicyThatAsks() {
    FakeClock clock = new FakeClock();
    List<Endpoint> two = List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    TestPolicies.Counting peakEwma = new TestPolicies.Counting(Policies.peakEwma(Duration.ofSeconds(1)));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two).policy(peakEwma).ticker(clock).scheduler(clock)
        .build()) {
      assertTrue(lb.recordsLatency());
      EndpointView view = peakEwma.lastViews().get(0);
      lb.begin(two.get(0)).release(Outcome.SUCCESS, 40 * MS);
      assertEquals(40 * MS, view.peakEwmaNanos());
      long first = view.peakEwmaStampNanos();
      clock.forward(Duration.ofSeconds(1));
      lb.begin(two.get(0)).release(Outcome.SUCCESS, 10 * MS);
      assertEquals(1_000 * MS, view.peakEwmaStampNanos() - first, "stamped with the balancer's clock");
      double w = Math.exp(-1);
      double expected = 40 * MS * w * w + 10 * MS * (1 - w); // faded over 1 s, then averaged
      assertEquals(expected, view.peakEwmaNanos(), 1.0);
      lb.begin(two.get(0)).release(Outcome.SUCCESS, -1);
      assertEquals(expected, view.peakEwmaNanos(), 1.0, "-1: not timed, not counted");
    }
    TestPolicies.Counting p2c = new TestPolicies.Counting(Policies.powerOfTwoChoices());
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two).policy(p2c).ticker(clock).scheduler(clock).build()) {
      lb.begin(two.get(0)).release(Outcome.SUCCESS, 40 * MS);
      assertEquals(0.0, p2c.lastViews().get(0).peakEwmaNanos(), "no estimate kept");
      assertEquals(0.0, p2c.lastViews().get(0).latencyEwmaNanos(), "nor the plain average: P2C reads no latency");
    }
  }

  @Test
  void observingAllocatesNothing() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Outcome[] outcomes = {Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SERVER_ERROR, Outcome.CANCELLED};
    for (int i = 0; i < 200_000; i++) { // warm up past JIT compilation
      after(1_000, outcomes[i & 3], (i % 97) * 10_000L);
    }
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      after(1_000, outcomes[i & 3], (i % 97) * 10_000L);
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    assertTrue(allocated < 16_384, "100,000 observations allocated " + allocated + " bytes");
    assertTrue(peak.estimate() > 0);
  }
}
