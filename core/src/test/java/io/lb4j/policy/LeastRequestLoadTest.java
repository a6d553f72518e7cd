package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.PickContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Least request: weighted shares under load and the meaning of choiceCount. */
class LeastRequestLoadTest {

  private static double share(Picker picker, EndpointView v, int picks) {
    int hits = 0;
    for (int i = 0; i < picks; i++) {
      if (picker.pick(PickContext.EMPTY) == v) {
        hits++;
      }
    }
    return hits / (double) picks;
  }

  /**
   * Envoy's effective weight {@code w / (inFlight + 1)^bias} sets the shares however busy the
   * endpoints are, including when most weighted draws are rejected.
   */
  @ParameterizedTest
  @CsvSource({
      // w0, w1, load0, load1, bias
      "1, 4, 99, 99, 1.0", // all busy: shares stay 20/80
      "1, 4, 499, 499, 1.0",
      "1, 4, 0, 0, 1.0",
      "1, 4, 3, 19, 1.0", // 1/4 vs 4/20: 5/9
      "2, 3, 50, 10, 0.5", // 2/sqrt(51) vs 3/sqrt(11)
      "1, 4, 0, 9, 1.0", // the idle light endpoint takes most
  })
  void sharesFollowEffectiveWeight(int w0, int w1, int load0, int load1, double bias) {
    List<LoadView> views = LoadView.of(w0, w1);
    views.get(0).inFlight = load0;
    views.get(1).inFlight = load1;
    double e0 = w0 / Math.pow(load0 + 1, bias);
    double e1 = w1 / Math.pow(load1 + 1, bias);
    Picker picker = Policies.leastRequest(2, bias).newPicker(views);
    assertEquals(e0 / (e0 + e1), share(picker, views.get(0), 100_000), 0.015);
  }

  /**
   * Loads 0..n-1: with k distinct uniform draws the winner is the minimum of a random k-subset, so
   * endpoint j (load j) wins with probability C(n - 1 - j, k - 1) / C(n, k). Covers P2C's draw
   * (k = 2), the bit-mask path (n <= 64, incl. the 64th bit) and the scratch-array path (n > 64).
   */
  @ParameterizedTest
  @CsvSource({"8, 2", "8, 3", "8, 4", "8, 7", "64, 5", "100, 3", "100, 7"})
  void equalWeightsCompareAUniformSubsetOfChoiceCountDistinctEndpoints(int n, int k) {
    int[] weights = new int[n];
    java.util.Arrays.fill(weights, 1);
    List<LoadView> views = LoadView.of(weights);
    for (int j = 0; j < n; j++) {
      views.get(j).inFlight = j;
    }
    Picker picker = Policies.leastRequest(k, 1.0).newPicker(views);
    int picks = 80_000;
    int[] hits = new int[n];
    for (int i = 0; i < picks; i++) {
      hits[((LoadView) picker.pick(PickContext.EMPTY)).endpoint.port() - 1]++;
    }
    double cumulative = 0;
    int observed = 0;
    for (int j = 0; j < n; j++) {
      double expected = binomial(n - 1 - j, k - 1) / binomial(n, k);
      assertEquals(expected, hits[j] / (double) picks, 0.015, "endpoint with load " + j);
      cumulative += expected;
      observed += hits[j];
      assertEquals(cumulative, observed / (double) picks, 0.015, "endpoints with load <= " + j);
      if (j > n - k) {
        // some other drawn endpoint is always less loaded: repeated draws would break this
        assertEquals(0, hits[j], "picked load " + j);
      }
    }
  }

  @Test
  void choiceCountAtLeastTheEndpointCountComparesAll() {
    List<LoadView> views = LoadView.of(1, 1, 1, 1);
    views.get(0).inFlight = 3;
    views.get(1).inFlight = 2;
    views.get(2).inFlight = 1;
    views.get(3).inFlight = 4;
    for (int k : new int[] {4, 5, 100}) {
      Picker picker = Policies.leastRequest(k, 1.0).newPicker(views);
      for (int i = 0; i < 500; i++) {
        assertSame(views.get(2), picker.pick(PickContext.EMPTY), "choiceCount " + k);
      }
    }
  }

  @Test
  void tiesAreSpreadOverTheTiedEndpoints() {
    List<LoadView> views = LoadView.of(1, 1, 1);
    views.get(2).inFlight = 1;
    Picker picker = Policies.leastRequest(3, 1.0).newPicker(views);
    Set<EndpointView> winners = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      winners.add(picker.pick(PickContext.EMPTY));
    }
    assertEquals(Set.of(views.get(0), views.get(1)), winners);
    assertTrue(share(picker, views.get(0), 20_000) > 0.45);
  }

  private static double binomial(int n, int k) {
    if (k < 0 || k > n) {
      return 0;
    }
    double r = 1;
    for (int i = 1; i <= k; i++) {
      r = r * (n - k + i) / i;
    }
    return r;
  }
}
