package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.lb4j.PickContext;
import io.lb4j.testing.TestPolicies;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Every built-in hash picker's {@link Picker#pickByHash} picks what {@code pick(PickContext.ofHash(h))} picks. */
class PickByHashTest {


  @ParameterizedTest
  @FieldSource("io.lb4j.testing.TestPolicies#HASH_POLICIES")
  void byHashAsByContext(String name) {
    List<LoadView> views = LoadView.of(1, 2, 3, 1, 1, 4, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 2, 1, 1);
    views.get(3).inFlight = 9; // bounded variants: one endpoint over its bound spills
    Picker picker = TestPolicies.hashPolicy(name).newPicker(views);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 5_000; i++) {
      long hash = random.nextLong();
      assertSame(picker.pick(PickContext.ofHash(hash)), picker.pickByHash(hash));
    }
    Picker single = TestPolicies.hashPolicy(name).newPicker(views.subList(0, 1));
    assertSame(views.get(0), single.pickByHash(42));
    assertSame(views.get(0), single.pick(PickContext.EMPTY));
  }
}
