package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.PickContext;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in policy builds and picks over extreme but valid inputs: the largest weights next
 * to the smallest (sums past {@code Integer.MAX_VALUE}), endpoints with huge in-flight counts, and
 * the extreme arguments each factory accepts. Bad arguments are refused by name.
 */
class ExtremeInputsTest {

  static Stream<Policy> policies() {
    return Stream.of(Policies.random(), Policies.roundRobin(), Policies.weightedRoundRobin(),
        Policies.powerOfTwoChoices(), Policies.leastRequest(2, 1.0), Policies.leastRequest(Integer.MAX_VALUE, 0.5),
        Policies.leastRequest(3, 1e6), Policies.leastRequest(2, 0.0), Policies.ringHash(),
        Policies.ringHash(1, 1), Policies.maglev(), Policies.maglev(2), Policies.peakEwma(),
        Policies.peakEwma(java.time.Duration.ofMillis(1)), Policies.peakEwma(java.time.Duration.ofDays(100_000)));
  }

  @ParameterizedTest
  @MethodSource("policies")
  void picksWithExtremeWeightsAndLoads(Policy policy) {
    List<LoadView> views = LoadView.of(1, Integer.MAX_VALUE, Integer.MAX_VALUE, 7);
    views.get(0).inFlight = Integer.MAX_VALUE - 1;
    views.get(1).inFlight = 1_000_000;
    views.get(2).inFlight = 0;
    views.get(3).inFlight = 3;
    views.get(0).latency(Double.MAX_VALUE, Long.MIN_VALUE); // extreme estimates and stamps far apart
    views.get(1).latency(Double.MIN_VALUE, Long.MAX_VALUE);
    views.get(3).latency(1e9, 0);
    Picker picker = policy.newPicker(views);
    for (int i = 0; i < 2_000; i++) {
      EndpointView v = picker.pick(i % 2 == 0 ? PickContext.EMPTY : PickContext.ofHash(i * 0x9E3779B97F4A7C15L));
      assertNotNull(v, policy.toString());
      assertTrue(views.contains(v), policy.toString());
    }
  }

  @ParameterizedTest
  @MethodSource("policies")
  void picksFromOneEndpoint(Policy policy) {
    List<LoadView> one = LoadView.of(Integer.MAX_VALUE);
    one.get(0).inFlight = Integer.MAX_VALUE;
    assertTrue(policy.newPicker(one).pick(PickContext.ofHash(-1)) == one.get(0));
  }

  @org.junit.jupiter.api.Test
  void factoriesRefuseBadArgumentsByName() {
    assertName("choiceCount", () -> Policies.leastRequest(1, 1.0));
    assertName("activeRequestBias", () -> Policies.leastRequest(2, -0.5));
    assertName("activeRequestBias", () -> Policies.leastRequest(2, Double.NaN));
    assertName("activeRequestBias", () -> Policies.leastRequest(2, Double.POSITIVE_INFINITY));
    assertName("minRingSize", () -> Policies.ringHash(0, 10));
    assertName("maxRingSize", () -> Policies.ringHash(1, Integer.MAX_VALUE));
    assertName("minRingSize", () -> Policies.ringHash(10, 5));
    assertName("tableSize", () -> Policies.maglev(-7));
    assertName("tableSize", () -> Policies.maglev(0));
    assertName("tableSize", () -> Policies.maglev(Integer.MAX_VALUE));
    assertName("tableSize", () -> Policies.maglev(65_536));
    assertName("decay", () -> Policies.peakEwma(null));
    assertName("decay", () -> Policies.peakEwma(java.time.Duration.ofNanos(1)));
  }

  private static void assertName(String name, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(name), e.getMessage());
  }
}
