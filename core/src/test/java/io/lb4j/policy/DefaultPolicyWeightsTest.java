package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import io.lb4j.testing.Shares;
import io.lb4j.testing.StderrLog;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The default policy honours weights (issue 18 §3): power of two choices over equal weights,
 * Envoy's weighted least request (bias 1) when they differ; weight-blind policies say so once.
 */
class DefaultPolicyWeightsTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");
  private static final Endpoint C = Endpoint.parse("10.0.0.3:80");

  private static int picksOf(LoadBalancer lb, Endpoint target, int picks) {
    return Shares.count(lb, picks, e -> e.address().equals(target.address()));
  }

  @Test
  void theDefaultSharesIdleEndpointsByWeight() {
    List<Endpoint> srv = List.of(A.withWeight(10), B.withWeight(30));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(srv).build()) {
      assertEquals("p2c", lb.policy().name());
      assertTrue(lb.policy().usesWeights() && lb.policy().usesEffectiveWeight());
      Shares.assertBinomial(picksOf(lb, srv.get(1), 40_000), 40_000, 0.75, "weight 30 of 40");
    }
  }

  @Test
  void unequalWeightsStillFollowLoad() {
    List<Endpoint> two = List.of(A, B.withWeight(4));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two).build()) {
      // 3 in flight on the heavy one: 4 / (3 + 1) = 1 against 1 / (0 + 1) = 1, as Envoy's least request
      List<Selection> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(lb.begin(two.get(1)));
      }
      Shares.assertBinomial(picksOf(lb, two.get(1), 40_000), 40_000, 0.5, "weight 4 with 3 in flight vs weight 1 idle");
      held.forEach(s -> s.release(Outcome.SUCCESS, 0));
    }
  }

  @Test
  void equalWeightsKeepThePairDrawThatNeverPicksTheBusierOfTwo() {
    List<Endpoint> two = List.of(A.withWeight(5), B.withWeight(5));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two).build()) {
      Selection held = lb.begin(two.get(0));
      assertEquals(0, picksOf(lb, two.get(0), 1_000), "two distinct draws: the idle one always wins");
      held.release(Outcome.SUCCESS, 0);
    }
  }

  @Test
  void thePickerFollowsAWeightChange() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A, B)).build()) {
      Shares.assertBinomial(picksOf(lb, B, 20_000), 20_000, 0.5, "equal weights");
      lb.updateEndpoints(List.of(A, B.withWeight(3)));
      Shares.assertBinomial(picksOf(lb, B, 40_000), 40_000, 0.75, "weight 3 of 4");
    }
  }

  @Test
  void weightBlindPoliciesWarnOncePerBalancerWhenWeightsDiffer() {
    for (Supplier<Policy> blind : List.<Supplier<Policy>>of(Policies::random, Policies::roundRobin,
        Policies::peakEwma)) {
      String name = "blind-" + blind.get().name();
      try (StderrLog log = StderrLog.capture();
          LoadBalancer lb = LoadBalancer.builder().name(name).policy(blind.get()).endpoints(List.of(A, B)).build()) {
        assertFalse(blind.get().usesWeights());
        assertEquals(List.of(), log.lines("WARN", "lb=" + name + " "), "equal weights: nothing to say");
        lb.updateEndpoints(List.of(A, B.withWeight(3), C));
        lb.updateEndpoints(List.of(A.withWeight(7), B));
        List<String> warned = log.lines("WARN", "lb=" + name + " ");
        assertEquals(1, warned.size(), warned::toString);
        assertTrue(warned.get(0).contains("unequal weights (1 to 3)") && warned.get(0).contains(blind.get().name())
            && warned.get(0).contains("powerOfTwoChoices()"), warned.get(0));
      }
    }
  }

  @Test
  void policiesThatHonourWeightsDoNotWarn() {
    List<Policy> honouring = List.of(Policies.powerOfTwoChoices(), Policies.leastRequest(3, 1.0),
        Policies.weightedRoundRobin(), Policies.ringHash(), Policies.maglev());
    for (Policy p : honouring) {
      try (StderrLog log = StderrLog.capture();
          LoadBalancer lb = LoadBalancer.builder().name("honours").policy(p)
              .endpoints(List.of(A, B.withWeight(3))).build()) {
        assertTrue(p.usesWeights(), p.name());
        assertEquals(2, lb.endpoints().size());
        assertEquals(List.of(), log.lines("WARN", "lb=honours "), p.name());
      }
    }
  }

  /**
   * The pick cost of honouring weights, in in-flight reads per pick (machine-independent; the
   * time is PickBenchmark's, with {@code -p weights=...}): equal weights read 2 (the pair); unequal
   * weights read 1 per weighted draw, and a draw is accepted with probability 1 / (inFlight + 1),
   * so with every endpoint at load L a pick reads (1 - (L/(L+1))^16) (L + 1) on average (16 draws
   * at most).
   */
  @Test
  void readsPerPickWithEqualAndUnequalWeightsAndLoad() {
    int picks = 20_000;
    assertEquals(2.0, readsPerPick(LoadView.of(1, 1, 1, 1), 0, picks), 1e-9, "equal weights: the pair");
    assertEquals(1.0, readsPerPick(LoadView.of(1, 2, 3, 4), 0, picks), 1e-9, "unequal, idle: one accepted draw");
    for (int load : new int[] {1, 2, 8}) {
      double expected = (1 - Math.pow(load / (load + 1.0), LeastRequestPolicy.MAX_DRAWS)) * (load + 1);
      double measured = readsPerPick(LoadView.of(1, 2, 3, 4), load, picks);
      System.out.printf("weights 1:2:3:4, %d in flight on each: %.2f in-flight reads per pick (expected %.2f)%n",
          load, measured, expected);
      assertEquals(expected, measured, 0.05 * expected, "load " + load);
    }
  }

  private static double readsPerPick(List<LoadView> views, int load, int picks) {
    long[] reads = new long[1];
    List<EndpointView> counted = new ArrayList<>();
    for (LoadView v : views) {
      v.inFlight = load;
      counted.add(new EndpointView() {
        @Override
        public Endpoint endpoint() {
          return v.endpoint();
        }

        @Override
        public int inFlight() {
          reads[0]++;
          return v.inFlight();
        }

        @Override
        public double latencyEwmaNanos() {
          return 0;
        }

        @Override
        public int effectiveWeight() {
          return v.effectiveWeight();
        }
      });
    }
    Picker picker = Policies.powerOfTwoChoices().newPicker(counted);
    for (int i = 0; i < picks; i++) {
      picker.pick(io.lb4j.PickContext.EMPTY);
    }
    return reads[0] / (double) picks;
  }

  @Test
  void p2cOverViewsWithUnequalWeightsIsWeightedLeastRequest() {
    List<LoadView> views = LoadView.of(1, 3);
    Picker picker = Policies.powerOfTwoChoices().newPicker(views);
    int heavy = 0;
    for (int i = 0; i < 40_000; i++) {
      heavy += picker.pick(io.lb4j.PickContext.EMPTY) == views.get(1) ? 1 : 0;
    }
    Shares.assertBinomial(heavy, 40_000, 0.75, "weight 3 of 4, no load");
  }
}
