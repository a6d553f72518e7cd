package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.PickContext;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Smooth weighted round robin, per window: in any L consecutive picks (across cycle boundaries),
 * an endpoint of weight w out of W gets at most ceil(L * w / W) + 1 picks, and every cycle of W
 * picks holds exactly w of each endpoint.
 */
class WeightedRoundRobinWindowTest {

  static Stream<Arguments> weights() {
    SplittableRandom rnd = new SplittableRandom(42); // fixed seed: the same weight sets every run
    Stream<int[]> fixed = Stream.of(
        new int[] {3, 2}, new int[] {5, 1, 3, 2}, new int[] {1, 1, 1, 10}, new int[] {1, 1, 1, 1, 1, 1, 1, 1, 20},
        new int[] {100, 1, 1}, new int[] {7, 5, 3, 1, 1}, new int[] {1, 2, 3, 4, 5, 6, 7, 8});
    Stream<int[]> random = IntStream.range(0, 20)
        .mapToObj(i -> rnd.ints(2 + rnd.nextInt(6), 1, 10).toArray());
    return Stream.concat(fixed, random).map(w -> Arguments.of((Object) w));
  }

  @ParameterizedTest
  @MethodSource("weights")
  void noEndpointGetsMoreThanItsShareInAnyWindow(int[] weights) {
    List<LoadView> views = LoadView.of(weights);
    int total = IntStream.of(weights).sum();
    Picker picker = Policies.weightedRoundRobin().newPicker(views);
    // two cycles from wherever the picker starts, then every window of every length in them
    int[] seq = new int[2 * total];
    for (int i = 0; i < seq.length; i++) {
      seq[i] = views.indexOf(picker.pick(PickContext.EMPTY));
    }
    for (int start = 0; start < total; start++) {
      int[] counts = new int[weights.length];
      for (int len = 1; len <= total; len++) {
        counts[seq[start + len - 1]]++;
        for (int e = 0; e < weights.length; e++) {
          long bound = ((long) len * weights[e] + total - 1) / total + 1;
          int c = counts[e];
          int s = start;
          int l = len;
          int ep = e;
          assertTrue(c <= bound, () -> "endpoint " + ep + " got " + c + " of " + l + " picks from " + s
              + ", more than its share + 1 (" + bound + ") for weights " + java.util.Arrays.toString(weights));
        }
        if (len == total) {
          for (int e = 0; e < weights.length; e++) {
            assertEquals(weights[e], counts[e], "one full cycle from " + start);
          }
        }
      }
    }
  }
}
