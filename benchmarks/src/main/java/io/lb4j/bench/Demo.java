package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Interim demo: one balancer per policy over 8 endpoints, 100,000 picks each, every endpoint's share. */
public final class Demo {

  private Demo() {}

  public static void main(String[] args) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      endpoints.add(Endpoint.of("127.0.0.1", 9000 + i).withWeight(i + 1));
    }
    for (Policy policy : List.of(Policies.random(), Policies.powerOfTwoChoices())) {
      try (LoadBalancer lb = LoadBalancer.builder().name(policy.name()).endpoints(endpoints).policy(policy).build()) {
        Map<Endpoint, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < 100_000; i++) {
          Selection s = lb.pick();
          counts.merge(s.endpoint(), 1, Integer::sum);
          s.release(Outcome.SUCCESS, 1_000);
        }
        System.out.printf("%-8s", policy.name());
        for (Endpoint e : endpoints) {
          System.out.printf(" %5.1f%%", 100.0 * counts.getOrDefault(e, 0) / 100_000);
        }
        System.out.println();
      }
    }
  }
}
