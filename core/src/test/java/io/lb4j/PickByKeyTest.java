package io.lb4j;

import static io.lb4j.testing.Rejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.lb4j.testing.Balancers;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LoadBalancer#pick(CharSequence)} picks what {@code pick(PickContext.ofKey(key))} picks.
 */
class PickByKeyTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private static Policy policy(String name) {
    return switch (name) {
      case "maglev" -> Policies.maglev();
      case "maglev_bounded" -> Policies.maglev(65_537, 1.25);
      case "ring_hash" -> Policies.ringHash();
      case "ring_hash_bounded" -> Policies.ringHash(1024, 8_388_608, 1.25);
      case "stable_ring" -> Policies.stableRingHash();
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"maglev", "maglev_bounded", "ring_hash", "ring_hash_bounded", "stable_ring"})
  void aKeyPicksWhatItsContextPicks(String name) {
    LoadBalancer lb = lbs.build(lbs.builder("keys").policy(policy(name)).endpoints(Balancers.endpoints(0, 40)));
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
