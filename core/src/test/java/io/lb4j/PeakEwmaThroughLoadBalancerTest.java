package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * Peak EWMA through the real balancer on a fake clock: one request at a time, each taking its
 * endpoint's latency of simulated time, so every number below follows from the policy's rules.
 */
class PeakEwmaThroughLoadBalancerTest {

  private static final long MS = 1_000_000L;
  private static final List<Endpoint> FOUR = List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80),
      Endpoint.of("10.0.0.3", 80), Endpoint.of("10.0.0.4", 80));

  private final FakeClock clock = new FakeClock();

  /**
   * Sends requests one after another until {@code seconds} of simulated time have passed; endpoint i
   * answers in {@code latency.applyAsLong(i)} ns, successfully unless {@code failing} is i (then a
   * 503). Returns the requests each endpoint got.
   */
  private int[] run(LoadBalancer lb, int seconds, IntToLongFunction latency, int failing) {
    int[] counts = new int[FOUR.size()];
    long end = clock.nanos() + seconds * 1_000_000_000L;
    for (int n = 0; clock.nanos() < end && n < 1_000_000; n++) {
      Selection s = lb.pick();
      int i = FOUR.indexOf(s.endpoint());
      counts[i]++;
      long nanos = latency.applyAsLong(i);
      clock.forward(Duration.ofNanos(nanos));
      s.release(i == failing ? Outcome.SERVER_ERROR : Outcome.SUCCESS, nanos);
    }
    return counts;
  }

  private LoadBalancer balancer() {
    return LoadBalancer.builder().endpoints(FOUR).policy(Policies.peakEwma()).ticker(clock).scheduler(clock).build();
  }

  @Test
  void aSlowEndpointIsProbedRarelyAndComesBackWhenItRecovers() {
    try (LoadBalancer lb = balancer()) {
      // Endpoint 0 takes 52 ms, the others 2 ms. Each of its answers sets its estimate to 52 ms; it
      // wins a pair again only once that has faded below a fast one's 2 ms: 10 s × ln 26 = 33 s.
      int[] slow = run(lb, 30, i -> i == 0 ? 52 * MS : 2 * MS, -1);
      int total = slow[0] + slow[1] + slow[2] + slow[3];
      assertTrue(slow[0] <= 3, "the slow endpoint got " + slow[0] + " of " + total + " requests");
      assertTrue(total > 14_000, total + " requests in 30 s");
      // It recovers. Its estimate fades below the others' within 33 s of its last answer; the first
      // fast answer after that keeps it there (faster samples average in, none is a new peak).
      run(lb, 40, i -> 2 * MS, -1);
      int[] after = run(lb, 10, i -> 2 * MS, -1);
      assertEquals(0.25, after[0] / (double) (after[0] + after[1] + after[2] + after[3]), 0.05,
          "its share once recovered");
    }
  }

  @Test
  void anEndpointThatStartsFailingFastDoesNotBecomeAttractive() {
    try (LoadBalancer lb = balancer()) {
      run(lb, 5, i -> 10 * MS, -1); // everyone at 10 ms
      // Endpoint 0 now answers 503 in 0.1 ms. Averaged in, that latency would make it 100 times
      // cheaper, more than the failure penalty's 20 times; failures never lower the estimate, and
      // each restarts its fading, so over a minute it never looks cheap.
      int[] counts = run(lb, 60, i -> i == 0 ? MS / 10 : 10 * MS, 0);
      int total = counts[0] + counts[1] + counts[2] + counts[3];
      // Only the compares that ignore the penalty (1 in 32, in the half of the picks that draw it)
      // can pick it: about 1.6 % plus the picks before its failure ratio built up.
      assertTrue(counts[0] < total * 0.03, "the failing endpoint got " + counts[0] + " of " + total);
    }
  }
}
