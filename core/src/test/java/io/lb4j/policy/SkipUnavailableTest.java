package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.PickContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hash policies that skip unavailable endpoints (gRPC's ring hash, A42/A61): a key stays on its
 * endpoint while that one is available, moves only while it is not, and comes back after; the
 * picker over every endpoint never needs a rebuild for it.
 */
class SkipUnavailableTest {

  static Stream<Supplier<Policy>> policies() {
    return Stream.of(() -> Policies.skippingUnavailable(Policies.ringHash()),
        () -> Policies.skippingUnavailable(Policies.stableRingHash()),
        () -> Policies.skippingUnavailable(Policies.maglev(4_099)),
        () -> Policies.skippingUnavailable(Policies.ringHash(1024, 8_388_608, 1.25)),
        () -> Policies.skippingUnavailable(Policies.maglev(4_099, 1.25)));
  }

  private static Map<Integer, EndpointView> homes(Picker picker, int keys) {
    Map<Integer, EndpointView> homes = new HashMap<>();
    for (int k = 0; k < keys; k++) {
      homes.put(k, picker.pick(PickContext.ofKey("user-" + k)));
    }
    return homes;
  }

  @ParameterizedTest
  @MethodSource("policies")
  void onlyTheUnavailableEndpointsKeysMoveAndTheyComeBack(Supplier<Policy> make) {
    Policy policy = make.get();
    assertTrue(policy.skipsUnavailable());
    List<LoadView> views = LoadView.of(1, 1, 1, 1, 1, 1, 1, 1);
    Picker picker = policy.newPicker(views, () -> 0L);
    Map<Integer, EndpointView> before = homes(picker, 2_000);

    LoadView down = views.get(3);
    down.available = false;
    Map<Integer, EndpointView> during = homes(picker, 2_000);
    int moved = 0;
    Map<EndpointView, Integer> movedTo = new HashMap<>();
    for (int k = 0; k < 2_000; k++) {
      if (before.get(k) == down) {
        assertNotEquals(down, during.get(k), "key " + k + " still on the unavailable endpoint");
        movedTo.merge(during.get(k), 1, Integer::sum);
        moved++;
      } else {
        assertEquals(before.get(k), during.get(k), "key " + k + " of an available endpoint moved");
      }
    }
    assertTrue(moved > 100, "the unavailable endpoint had keys: " + moved);
    assertTrue(movedTo.size() >= 2, "its keys spread over more than one endpoint: " + movedTo);

    down.available = true;
    assertEquals(before, homes(picker, 2_000), "every key is home again");
  }

  @ParameterizedTest
  @MethodSource("policies")
  void withOneEndpointLeftEveryKeyGoesThere(Supplier<Policy> make) {
    List<LoadView> views = LoadView.of(1, 1, 1);
    Picker picker = make.get().newPicker(views, () -> 0L);
    views.get(0).available = false;
    views.get(2).available = false;
    for (EndpointView v : homes(picker, 300).values()) {
      assertEquals(views.get(1), v);
    }
  }

  @ParameterizedTest
  @MethodSource("policies")
  void withNoneAvailableAKeyStaysHome(Supplier<Policy> make) {
    List<LoadView> views = LoadView.of(1, 1, 1);
    Picker picker = make.get().newPicker(views, () -> 0L);
    Map<Integer, EndpointView> before = homes(picker, 100);
    views.forEach(v -> v.available = false);
    assertEquals(before, homes(picker, 100), "nothing to walk to: the home endpoint, never null");
  }

  @Test
  void otherPoliciesCannotSkip() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Policies.skippingUnavailable(Policies.powerOfTwoChoices()));
    assertTrue(e.getMessage().startsWith("skippingUnavailable applies to ring hash and Maglev"), e.getMessage());
  }

  @ParameterizedTest
  @MethodSource("policies")
  void whileEverythingIsAvailableItPicksWhatThePlainPolicyPicks(Supplier<Policy> make) {
    Policy skipping = make.get();
    String plainName = skipping.toString().replace(", skippingUnavailable", "");
    assertFalse(plainName.contains("skipping"));
    List<LoadView> views = LoadView.of(1, 2, 1, 3, 1);
    Policy plain = skipping instanceof RingHashPolicy r
        ? (r.stable() ? Policies.stableRingHash(r.entriesPerWeight()) : Policies.ringHash(r.minRingSize(), r.maxRingSize()))
        : Policies.maglev(((MaglevPolicy) skipping).tableSize());
    if (skipping.usesTotalInFlight()) {
      return; // bounded load: same table, compared above by the unchanged homes
    }
    assertEquals(homes(plain.newPicker(views), 1_000), homes(skipping.newPicker(views), 1_000));
  }
}
