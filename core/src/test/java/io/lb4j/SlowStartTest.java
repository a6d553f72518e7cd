package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.TestPolicies;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Slow start on the fake clock: the balancer's own ramp steps (every tenth of the window) rebuild the picker. */
class SlowStartTest {

  private static final Endpoint A = Endpoint.of("127.0.0.1", 30_001);
  private static final Endpoint B = Endpoint.of("127.0.0.1", 30_002).withWeight(3);
  private static final Endpoint C = Endpoint.of("127.0.0.1", 30_003);

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private LoadBalancer slowStart(TestPolicies.Capturing policy) {
    return lbs.build(lbs.builder("ss").endpoints(List.of(A, B)).policy(policy).slowStart(Duration.ofSeconds(10))
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(50).build()));
  }

  @Test
  void theFirstListDoesNotRampButLaterJoinersDo() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = slowStart(policy);
    assertEquals(List.of("127.0.0.1:30001=100", "127.0.0.1:30002=300"), policy.last());
    lb.updateEndpoints(List.of(A, B, C)); // t = 0
    assertEquals(List.of("127.0.0.1:30001=100", "127.0.0.1:30002=300", "127.0.0.1:30003=10"), policy.last());
    lbs.clock.forward(Duration.ofMillis(1_500));
    assertEquals(10, lb.state(C).effectiveWeight(), "10 % floor for the first tenth of the window (step at 1 s)");
    lbs.clock.forward(Duration.ofMillis(1_000));
    assertEquals(20, lb.state(C).effectiveWeight(), "the step at 2 s");
    lbs.clock.forward(Duration.ofMillis(5_000));
    assertEquals(70, lb.state(C).effectiveWeight(), "the step at 7 s");
    assertEquals("127.0.0.1:30003=70", policy.last().get(2), "the picker was rebuilt with the ramped weight");
    lbs.clock.forward(Duration.ofMillis(2_500));
    assertEquals(100, lb.state(C).effectiveWeight(), "the step at 10 s ends the ramp");
    int builds = policy.builds.size();
    lbs.clock.forward(Duration.ofSeconds(60));
    assertEquals(100, lb.state(C).effectiveWeight(), "stays at full weight");
    assertEquals(300, lb.state(B).effectiveWeight());
    assertEquals(builds, policy.builds.size(), "no ramp, no more steps");
  }

  @Test
  void anEndpointBackFromEjectionRamps() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = slowStart(policy);
    lbs.record(lb, B, Outcome.SERVER_ERROR, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(B));
    assertEquals(List.of("127.0.0.1:30001=100"), policy.last());
    lbs.clock.forward(Duration.ofSeconds(30)); // the sweep at 30 s ends the ejection
    assertEquals(EndpointStatus.HEALTHY, lb.status(B));
    assertEquals(30, lb.state(B).effectiveWeight(), "weight 3 x 100 x 10 %");
    lbs.clock.forward(Duration.ofSeconds(5));
    assertEquals(150, lb.state(B).effectiveWeight());
    lbs.clock.forward(Duration.ofSeconds(5));
    assertEquals(300, lb.state(B).effectiveWeight());
  }

  @Test
  void withoutSlowStartWeightsAreTheEndpointWeights() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = lbs.build(lbs.builder("plain").endpoints(List.of(A, B)).policy(policy));
    lb.updateEndpoints(List.of(A, B, C));
    assertEquals(List.of("127.0.0.1:30001=1", "127.0.0.1:30002=3", "127.0.0.1:30003=1"), policy.last());
  }
}
