package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hash policies behind the real {@link LoadBalancer}: keys follow Envoy's table across updates. */
class HashPolicyLoadBalancerTest {

  @Test
  void maglevThroughTheBalancerMatchesTheTableAcrossUpdates() {
    List<Endpoint> hosts = new ArrayList<>(envoyBenchmarkHosts(40));
    try (LoadBalancer lb = LoadBalancer.builder().name("maglev-test").policy(Policies.maglev()).endpoints(hosts).build()) {
      assertKeysFollow(lb, MaglevTable.build(hosts, 65_537));
      hosts.remove(13);
      lb.updateEndpoints(hosts);
      assertKeysFollow(lb, MaglevTable.build(hosts, 65_537));
    }
  }

  @Test
  void ringHashThroughTheBalancerIsStickyAcrossUnrelatedRemovals() {
    // 100 and 99 endpoints both get 11 entries each on a 1,024-minimum ring, so only the removed
    // endpoint's keys move (see RingHashPolicyTest for when the entry count changes).
    List<Endpoint> hosts = new ArrayList<>(envoyBenchmarkHosts(100));
    try (LoadBalancer lb = LoadBalancer.builder().name("ring-test").policy(Policies.ringHash()).endpoints(hosts).build()) {
      Endpoint[] before = new Endpoint[500];
      for (int k = 0; k < before.length; k++) {
        before[k] = pickAndRelease(lb, PickContext.ofKey("k" + k));
      }
      Endpoint removed = hosts.remove(5);
      lb.updateEndpoints(hosts);
      for (int k = 0; k < before.length; k++) {
        Endpoint now = pickAndRelease(lb, PickContext.ofKey("k" + k));
        if (!before[k].equals(removed)) {
          assertEquals(before[k], now, "key k" + k);
        }
      }
    }
  }

  private static void assertKeysFollow(LoadBalancer lb, MaglevTable table) {
    for (int k = 0; k < 500; k++) {
      PickContext ctx = PickContext.ofKey("k" + k);
      assertEquals(table.lookup(ctx.hash()), pickAndRelease(lb, ctx), "key k" + k);
    }
  }

  private static Endpoint pickAndRelease(LoadBalancer lb, PickContext ctx) {
    Selection s = lb.pick(ctx);
    Endpoint e = s.endpoint();
    s.release(Outcome.SUCCESS, 1_000);
    return e;
  }
}
