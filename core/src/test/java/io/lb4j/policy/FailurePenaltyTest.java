package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The failure penalty of the load-aware pickers (issue 10 §1): an endpoint that fails fast must not
 * win by having nothing in flight, a recovered one must be sampled again, and endpoints without
 * failures are compared exactly as before.
 */
class FailurePenaltyTest {

  private static List<Picker> loadAware(List<LoadView> views) {
    // peak EWMA without latency estimates compares loads as P2C does, penalty included
    return List.of(Policies.powerOfTwoChoices().newPicker(views), Policies.leastRequest(3, 1.0).newPicker(views),
        Policies.leastRequest(2, 1.0).newPicker(views), Policies.peakEwma().newPicker(views));
  }

  @Test
  void anIdleEndpointThatFailsEverythingLosesToBusyHealthyOnes() {
    List<LoadView> views = LoadView.of(1, 1, 1);
    views.get(0).failureRatio = 1.0; // fails fast: nothing in flight
    views.get(1).inFlight = 3;
    views.get(2).inFlight = 3;
    for (Picker picker : loadAware(views)) {
      Map<EndpointView, Integer> counts = PickCounts.count(picker, 32_000);
      int failing = counts.getOrDefault(views.get(0), 0);
      // Only the compares that ignore the penalty (1 in 32) pick it: well under 5 %, but not never.
      assertTrue(failing > 0 && failing < 1_600, picker + " picked the failing endpoint " + failing + " times");
    }
    // Without failures the same loads send it every pick it is compared in (two pairs of three, or
    // every pick when all three are compared): the penalty alone made the difference.
    views.get(0).failureRatio = 0.0;
    for (Picker picker : loadAware(views)) {
      int idle = PickCounts.count(picker, 32_000).getOrDefault(views.get(0), 0);
      assertTrue(idle > 32_000 * 0.6, picker + " picked the idle endpoint " + idle + " times");
    }
  }

  @Test
  void aPartlyFailingEndpointCostsItsLoadPerSuccess() {
    // Failure ratio 0.5 doubles the cost: 0 in flight costs 2, like 1 in flight without failures.
    List<LoadView> views = LoadView.of(1, 1);
    views.get(0).failureRatio = 0.5;
    views.get(1).inFlight = 2; // costs 3
    Picker p2c = Policies.powerOfTwoChoices().newPicker(views);
    assertEquals(32_000, PickCounts.count(p2c, 32_000).getOrDefault(views.get(0), 0), "2 < 3: still preferred");
    views.get(0).inFlight = 2; // costs 6
    int failing = PickCounts.count(p2c, 32_000).getOrDefault(views.get(0), 0);
    assertTrue(failing < 1_600, "6 > 3 (explored now and then): " + failing);
  }

  @Test
  void unequalWeightsAcceptAFailingEndpointLessOften() {
    List<LoadView> views = LoadView.of(1, 3);
    Picker picker = Policies.leastRequest(2, 1.0).newPicker(views);
    double before = PickCounts.count(picker, 40_000).getOrDefault(views.get(0), 0) / 40_000.0;
    assertEquals(0.25, before, 0.02, "weights 1:3, no load, no failures");
    views.get(0).failureRatio = 0.9;
    double after = PickCounts.count(picker, 40_000).getOrDefault(views.get(0), 0) / 40_000.0;
    assertTrue(after < 0.1, "accepted a tenth as often: " + after);
  }

  @Test
  void busyUnequalWeightsKeepTheirShareTimesTheSuccessShare() {
    // Both so busy that nearly every draw is rejected: the pick is the importance-resampled one.
    for (double bias : new double[] {1.0, 2.0}) {
      List<LoadView> views = LoadView.of(1, 3);
      views.forEach(v -> v.inFlight = 200);
      Picker picker = Policies.leastRequest(2, bias).newPicker(views);
      double plain = PickCounts.count(picker, 40_000).getOrDefault(views.get(0), 0) / 40_000.0;
      assertEquals(0.25, plain, 0.03, "bias " + bias + ": 1 of 4 by weight, equal loads");
      views.get(0).failureRatio = 0.5;
      double penalized = PickCounts.count(picker, 40_000).getOrDefault(views.get(0), 0) / 40_000.0;
      // weight × success share: 0.5 against 3, about 14 % (a little more: 1 pick in 32 ignores it)
      assertEquals(0.5 / 3.5, penalized, 0.03, "bias " + bias);
    }
    // An idle endpoint failing nearly everything (weight 1, accepted 5 % of the time) next to a busy
    // healthy one (weight 3, 200 in flight, accepted 1 / 201): effective weights 0.05 and 0.015.
    List<LoadView> views = LoadView.of(1, 3);
    views.get(0).failureRatio = 0.95;
    views.get(1).inFlight = 200;
    double idle = PickCounts.count(Policies.leastRequest(2, 1.0).newPicker(views), 40_000).getOrDefault(views.get(0), 0)
        / 40_000.0;
    assertTrue(idle > 0.7 && idle < 0.9, "about 0.05 / 0.065 = 77 %: " + idle);
  }

  @Test
  void theRatioFollowsReleasesAndReturnsToExactlyZero() {
    List<Endpoint> two = List.of(Endpoint.parse("10.0.0.1:80"), Endpoint.parse("10.0.0.2:80"));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two)
        .policy(new CapturingPolicy()).build()) {
      EndpointView view = CapturingPolicy.last.get(0);
      assertEquals(0.0, view.failureRatio());
      release(lb, two.get(0), Outcome.CANCELLED);
      assertEquals(0.0, view.failureRatio(), "cancelled is neither");
      release(lb, two.get(0), Outcome.CONNECT_FAILURE);
      assertEquals(0.25, view.failureRatio(), 1e-12);
      release(lb, two.get(0), Outcome.SERVER_ERROR);
      release(lb, two.get(0), Outcome.TIMEOUT);
      assertEquals(1 - 0.75 * 0.75 * 0.75, view.failureRatio(), 1e-12);
      int successes = 0;
      while (view.failureRatio() != 0.0 && successes < 100) {
        release(lb, two.get(0), Outcome.SUCCESS);
        successes++;
      }
      assertEquals(0.0, view.failureRatio(), "back on the pickers' fast path");
      assertTrue(successes > 10 && successes < 30, successes + " successes");
    }
  }

  private static void release(LoadBalancer lb, Endpoint e, Outcome outcome) {
    lb.begin(e).release(outcome, 1_000);
  }

  /** Records the views it was given, to read them back. */
  private static final class CapturingPolicy implements Policy {
    static volatile List<EndpointView> last;

    @Override
    public String name() {
      return "capturing";
    }

    @Override
    public Picker newPicker(List<? extends EndpointView> eligible) {
      last = new ArrayList<>(eligible);
      EndpointView first = eligible.get(0);
      return ctx -> first;
    }
  }

  @Test
  void throughTheBalancerAFastFailingEndpointStopsAttractingPicks() {
    List<Endpoint> three = List.of(Endpoint.parse("10.0.0.1:80"), Endpoint.parse("10.0.0.2:80"),
        Endpoint.parse("10.0.0.3:80"));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(three).policy(Policies.powerOfTwoChoices())
        .build()) {
      // Two requests stay in flight on each healthy endpoint; the broken one answers at once.
      List<Selection> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(lb.begin(three.get(1)));
        held.add(lb.begin(three.get(2)));
      }
      int broken = 0;
      for (int i = 0; i < 3_200; i++) {
        Selection s = lb.pick();
        boolean isBroken = s.endpoint().equals(three.get(0));
        broken += isBroken ? 1 : 0;
        s.release(isBroken ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1_000);
      }
      // Without the penalty it would win every pair it is in: two thirds of the picks.
      assertTrue(broken < 3_200 / 10, "the broken endpoint got " + broken + " of 3,200 picks");
      held.forEach(s -> s.release(Outcome.SUCCESS, 1_000));
    }
  }

  @Test
  void picksWithFailuresAllocateNothing() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    List<LoadView> views = LoadView.of(1, 1, 1, 1);
    views.get(0).failureRatio = 0.7;
    views.get(1).failureRatio = 0.2;
    List<LoadView> weighted = LoadView.of(1, 2, 3, 4);
    weighted.get(0).failureRatio = 0.7;
    weighted.forEach(v -> v.inFlight = 2);
    List<LoadView> timed = LoadView.of(1, 1, 1);
    timed.get(0).latency(3e6, 5).failureRatio = 0.3;
    timed.get(1).latency(9e6, 1);
    timed.get(2).latency(1e6, -7);
    Picker[] pickers = {Policies.powerOfTwoChoices().newPicker(views), Policies.leastRequest(3, 1.0).newPicker(views),
        Policies.leastRequest(2, 1.0).newPicker(weighted), Policies.peakEwma().newPicker(timed)};
    for (Picker picker : pickers) {
      long sink = 0;
      for (int i = 0; i < 200_000; i++) { // warm up past JIT compilation
        sink += picker.pick(PickContext.EMPTY).effectiveWeight();
      }
      long tid = Thread.currentThread().getId();
      long before = threads.getThreadAllocatedBytes(tid);
      for (int i = 0; i < 100_000; i++) {
        sink += picker.pick(PickContext.EMPTY).effectiveWeight();
      }
      long allocated = threads.getThreadAllocatedBytes(tid) - before;
      assertTrue(allocated < 16_384, picker + " allocated " + allocated + " bytes over 100,000 picks");
      assertTrue(sink > 0);
    }
  }
}
