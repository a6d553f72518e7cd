package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.lb4j.PickContext;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every built-in hash picker's {@link Picker#pickByHash} picks what {@code pick(PickContext.ofHash(h))} picks. */
class PickByHashTest {

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
  void byHashAsByContext(String name) {
    List<LoadView> views = LoadView.of(1, 2, 3, 1, 1, 4, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 2, 1, 1);
    views.get(3).inFlight = 9; // bounded variants: one endpoint over its bound spills
    Picker picker = policy(name).newPicker(views);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 5_000; i++) {
      long hash = random.nextLong();
      assertSame(picker.pick(PickContext.ofHash(hash)), picker.pickByHash(hash));
    }
    Picker single = policy(name).newPicker(views.subList(0, 1));
    assertSame(views.get(0), single.pickByHash(42));
    assertSame(views.get(0), single.pick(PickContext.EMPTY));
  }
}
