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
      // w0, w1, load0, load1, bias, tolerance
      "1, 4, 99, 99, 1.0, 0.015", // all busy: shares stay 20/80
      "1, 4, 499, 499, 1.0, 0.015",
      "1, 4, 0, 0, 1.0, 0.015",
      // 1/4 vs 4/20: 5/9 = 0.556. 22 % of picks (0.91^16) come from the resampled rejected draws,
      // which measure 0.545 here (200 runs of 100,000 picks: 0.539-0.549): the finite-sample bias of
      // resampling 16 draws, the limit LeastRequestPolicy documents.
      "1, 4, 3, 19, 1.0, 0.025",
      "2, 3, 50, 10, 0.5, 0.015", // 2/sqrt(51) vs 3/sqrt(11)
      "1, 4, 0, 9, 1.0, 0.015", // the idle light endpoint takes most
      "1, 4, 20, 20, 3.0, 0.015", // nearly every draw rejected: equal loads keep the weights' shares
      "1, 4, 20, 20, 1100, 0.015", // 21^-1100 underflows to 0: still 20/80
      "1, 4, 2, 1, 1100, 0.015", // the less loaded one takes all
      "3, 1, 7, 7, 2000, 0.015",
      "1, 4, 3, 19, 1e-9, 0.015", // a bias this small barely looks at load
  })
  void sharesFollowEffectiveWeight(int w0, int w1, int load0, int load1, double bias, double tolerance) {
    List<LoadView> views = LoadView.of(w0, w1);
    views.get(0).inFlight = load0;
    views.get(1).inFlight = load1;
    // the share of endpoint 0 is e0 / (e0 + e1) = 1 / (1 + e1 / e0), computed in log space
    double logRatio = Math.log(w1) - bias * Math.log(load1 + 1) - Math.log(w0) + bias * Math.log(load0 + 1);
    Picker picker = Policies.leastRequest(2, bias).newPicker(views);
    assertEquals(1 / (1 + Math.exp(logRatio)), share(picker, views.get(0), 100_000), tolerance);
  }

  /**
   * Biases far past where {@code (inFlight + 1)^-bias} underflows (1,100: the case; 2,000:
   * what the gRPC key allowed; up to {@code Double.MAX_VALUE}) pick without error from busy
   * endpoints of unequal weight, and go to the least loaded endpoint among the draws.
   */
  @ParameterizedTest
  @CsvSource({"1100", "2000", "1e6", "1.7976931348623157e308", "40", "1e-300"})
  void extremeBiasesPickFromBusyEndpoints(double bias) {
    List<LoadView> views = LoadView.of(1, 3, 7);
    views.get(0).inFlight = 5;
    views.get(1).inFlight = 1;
    views.get(2).inFlight = 9;
    Picker picker = Policies.leastRequest(2, bias).newPicker(views);
    int picks = 20_000;
    int[] hits = new int[3];
    for (int i = 0; i < picks; i++) {
      hits[((LoadView) picker.pick(PickContext.EMPTY)).endpoint.port() - 1]++;
    }
    if (bias >= 40) {
      // Endpoint 1 (weight 3 of 11) is among the 16 weighted draws with probability
      // 1 - (8/11)^16 = 0.994, and then wins; endpoint 2 only when every draw was endpoint 2.
      assertTrue(hits[1] > 0.98 * picks, () -> "least loaded should win: " + java.util.Arrays.toString(hits));
      assertTrue(hits[2] < 0.005 * picks, () -> "most loaded should lose: " + java.util.Arrays.toString(hits));
    } else {
      // a vanishing bias ignores load: shares follow the weights, 1:3:7
      assertEquals(7 / 11.0, hits[2] / (double) picks, 0.02, java.util.Arrays.toString(hits));
    }
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
