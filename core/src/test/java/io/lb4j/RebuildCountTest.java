package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.TestPolicies;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How many pickers (for Maglev and ring hash: tables) the balancer builds for two bursts of change,
 * counted on the fake clock. The numbers are in BENCHMARKS.md ("Picker rebuilds"); this test prints
 * them and holds them.
 */
class RebuildCountTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  /**
   * A redeploy under slow start (30 s): a balancer over 1,000 endpoints gets 1,000 new ones, which
   * ramp; builds from the update until a minute later.
   */
  private int rampBuilds(Supplier<Policy> policy) {
    TestPolicies.Counting counting = new TestPolicies.Counting(policy.get());
    LoadBalancer lb = lbs.build(lbs.builder("ramp").policy(counting).slowStart(Duration.ofSeconds(30))
        .endpoints(Balancers.endpoints(10_000, 1_000)));
    int before = counting.builds();
    lb.updateEndpoints(Balancers.endpoints(20_000, 1_000));
    lbs.clock.forward(Duration.ofSeconds(60));
    assertEquals(100 * 1, lb.state(lb.endpoints().get(0)).effectiveWeight(), "the ramp is over");
    return counting.builds() - before;
  }

  /**
   * Ten endpoints of 100 fail five times in a row each, all before the balancer's scheduler runs
   * (maxEjectionPercent 10 allows all ten); builds until the scheduler has run.
   */
  private int burstBuilds(Supplier<Policy> policy) {
    TestPolicies.Counting counting = new TestPolicies.Counting(policy.get());
    LoadBalancer lb = lbs.build(lbs.builder("burst").policy(counting).endpoints(Balancers.endpoints(30_000, 100))
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(10).build()));
    int before = counting.builds();
    List<Endpoint> all = lb.endpoints();
    for (int e = 0; e < 10; e++) {
      for (int i = 0; i < 5; i++) {
        lb.begin(all.get(e)).release(Outcome.SERVER_ERROR, 1_000);
      }
    }
    lbs.clock.runDue();
    assertEquals(10, lb.outlierDetector().orElseThrow().ejectedCount());
    return counting.builds() - before;
  }

  @Test
  void hashTablesAreNotRebuiltOnSlowStartSteps() {
    int maglev = rampBuilds(Policies::maglev);
    int ringHash = rampBuilds(Policies::ringHash);
    int p2c = rampBuilds(Policies::powerOfTwoChoices);
    int wrr = rampBuilds(Policies::weightedRoundRobin);
    System.out.printf("1,000-endpoint slow-start ramp: maglev %d, ring hash %d, p2c %d, weighted round robin %d builds%n",
        maglev, ringHash, p2c, wrr);
    assertEquals(1, maglev, "the update only; ramp steps keep the table");
    assertEquals(1, ringHash);
    assertEquals(1, p2c, "p2c ignores weights");
    // The update, then one build per step (every 3 s) until the ramp ends at 30 s, except the
    // first step: at 3 s the weight is still the 10 % floor, so the picker is kept.
    assertEquals(10, wrr);
  }

  @Test
  void aBurstOfTenEjectionsIsOneRebuild() {
    int maglev = burstBuilds(Policies::maglev);
    int p2c = burstBuilds(Policies::powerOfTwoChoices);
    System.out.printf("10-ejection burst: maglev %d, p2c %d builds%n", maglev, p2c);
    assertEquals(1, maglev);
    assertEquals(1, p2c);
  }
}
