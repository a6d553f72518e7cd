package io.lb4j.policy;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks an index with probability proportional to a fixed weight in O(1): Walker's alias method
 * (Vose's construction). Immutable after construction; sampling allocates nothing.
 */
final class WeightedSampler {

  private final double[] probability;
  private final int[] alias;

  WeightedSampler(long[] weights) {
    int n = weights.length;
    probability = new double[n];
    alias = new int[n];
    double total = 0;
    for (long w : weights) {
      total += w;
    }
    double[] scaled = new double[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int ns = 0;
    int nl = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = weights[i] * n / total;
      if (scaled[i] < 1.0) {
        small[ns++] = i;
      } else {
        large[nl++] = i;
      }
    }
    while (ns > 0 && nl > 0) {
      int s = small[--ns];
      int l = large[--nl];
      probability[s] = scaled[s];
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      if (scaled[l] < 1.0) {
        small[ns++] = l;
      } else {
        large[nl++] = l;
      }
    }
    // Whatever is left is 1 up to rounding error.
    while (nl > 0) {
      int l = large[--nl];
      probability[l] = 1.0;
      alias[l] = l;
    }
    while (ns > 0) {
      int s = small[--ns];
      probability[s] = 1.0;
      alias[s] = s;
    }
  }

  int sample(ThreadLocalRandom rnd) {
    int i = rnd.nextInt(probability.length);
    return rnd.nextDouble() < probability[i] ? i : alias[i];
  }
}
