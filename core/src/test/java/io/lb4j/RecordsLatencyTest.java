package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordsLatencyTest {

  private static final List<Endpoint> ENDPOINTS = List.of(Endpoint.of("127.0.0.1", 1), Endpoint.of("127.0.0.1", 2));

  @Test
  void builtInPoliciesWithoutARegistryNeedNoTiming() {
    for (Policy p : List.of(Policies.random(), Policies.roundRobin(), Policies.weightedRoundRobin(),
        Policies.powerOfTwoChoices(), Policies.leastRequest(2, 1.0), Policies.ringHash(), Policies.maglev(1021))) {
      try (LoadBalancer lb = LoadBalancer.builder().endpoints(ENDPOINTS).policy(p).build()) {
        assertFalse(lb.recordsLatency(), p.name());
      }
    }
  }

  @Test
  void peakEwmaNeedsTiming() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(ENDPOINTS).policy(Policies.peakEwma()).build()) {
      assertTrue(lb.recordsLatency());
    }
  }

  @Test
  void aMeterRegistryOrALatencyAwarePolicyNeedsTiming() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(ENDPOINTS).meterRegistry(new SimpleMeterRegistry()).build()) {
      assertTrue(lb.recordsLatency());
    }
    Policy latencyAware = new Policy() {
      @Override
      public String name() {
        return "fastest";
      }

      @Override
      public Picker newPicker(List<? extends EndpointView> eligible) {
        return ctx -> eligible.get(0);
      }

      @Override
      public boolean usesLatency() {
        return true;
      }
    };
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(ENDPOINTS).policy(latencyAware).build()) {
      assertTrue(lb.recordsLatency());
      Selection s = lb.pick();
      s.release(Outcome.SUCCESS, 5_000);
      Selection untimed = lb.pick();
      untimed.release(Outcome.SUCCESS, -1); // not recorded: the average stays at the one sample
      assertEquals(0, lb.inFlight(ENDPOINTS.get(0)));
    }
  }
}
