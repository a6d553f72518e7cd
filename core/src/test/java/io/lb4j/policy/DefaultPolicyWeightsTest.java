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
