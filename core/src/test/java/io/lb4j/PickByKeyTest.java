package io.lb4j;

import static io.lb4j.testing.Rejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.TestPolicies;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LoadBalancer#pick(CharSequence)} picks what {@code pick(PickContext.ofKey(key))} picks.
 */
class PickByKeyTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();


  @ParameterizedTest
  @FieldSource("io.lb4j.testing.TestPolicies#HASH_POLICIES")
  void aKeyPicksWhatItsContextPicks(String name) {
    LoadBalancer lb = lbs.build(lbs.builder("keys").policy(TestPolicies.hashPolicy(name)).endpoints(Balancers.endpoints(0, 40)));
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 2_000; i++) {
      String key = "user-" + random.nextInt() + (i % 7 == 0 ? "-ünïcode" : "");
      Selection byKey = lb.pick(key);
      Selection byContext = lb.pick(PickContext.ofKey(key));
      assertSame(byContext.endpoint(), byKey.endpoint(), key);
      byKey.release(Outcome.SUCCESS, 1);
      byContext.release(Outcome.SUCCESS, 1);
    }
    assertEquals(4_000, Balancers.endpoints(0, 40).stream().mapToLong(e -> lb.requests(e, Outcome.SUCCESS)).sum());
  }

  @ParameterizedTest
  @ValueSource(strings = {"maglev", "random"})
  void aKeyThroughZonesAndLevelsPicksWhatItsContextPicks(String name) {
    // Zone-aware routing and two priority levels put weighted choices above the policy's pickers;
    // a key draws them by its hash, as its context does, whether or not the policy hashes.
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      endpoints.add(Endpoint.of("10.2.0." + i, 80).withZone(i <= 2 ? "a" : i <= 6 ? "b" : "c"));
    }
    LoadBalancer lb = lbs.build(lbs.builder("zoned").endpoints(endpoints)
        .policy(name.equals("maglev") ? Policies.maglev() : Policies.random()).localZone("a")
        .peers(Peers.UNKNOWN.withZones(Map.of("a", 5, "b", 1, "c", 1))).zoneRoutingMinSize(1));
    assertTrue(lb.zoneShares().size() > 1, "requests leave the local zone: " + lb.zoneShares());
    Map<String, Integer> zones = new HashMap<>();
    for (int i = 0; i < 600; i++) {
      String key = "user-" + i;
      Selection byKey = lb.pick(key);
      if (name.equals("maglev")) {
        Selection byContext = lb.pick(PickContext.ofKey(key));
        assertSame(byContext.endpoint(), byKey.endpoint(), key);
        byContext.release(Outcome.SUCCESS, 1);
      }
      zones.merge(byKey.endpoint().zone(), 1, Integer::sum);
      byKey.release(Outcome.SUCCESS, 1);
    }
    assertEquals(Set.of("a", "b", "c"), zones.keySet(), "every zone takes keys: " + zones);
  }

  @Test
  void aPolicyThatDoesNotHashTakesAKeyAndIgnoresIt() {
    LoadBalancer lb = lbs.build(lbs.builder("rr").policy(Policies.random()).endpoints(Balancers.endpoints(0, 3)));
    lb.pick("anything").release(Outcome.SUCCESS, 1);
    assertEquals(1, Balancers.endpoints(0, 3).stream().mapToLong(e -> lb.requests(e, Outcome.SUCCESS)).sum());
  }

  @Test
  void aNullKeyOrAClosedBalancerIsRejected() {
    LoadBalancer lb = lbs.build(lbs.builder("closed").policy(Policies.maglev()).endpoints(Balancers.endpoints(0, 3)));
    rejects(() -> lb.pick((CharSequence) null), "key");
    lb.close();
    assertThrows(IllegalStateException.class, () -> lb.pick("k"));
  }
}
