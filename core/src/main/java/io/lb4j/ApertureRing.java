package io.lb4j;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import net.openhft.hashing.LongHashFunction;

/**
 * The {@link Aperture} as a pure function: which of a level's usable endpoints this client talks
 * to, and what share of a full endpoint's traffic each takes (less than 1 only where the
 * deterministic arc cuts an endpoint).
 *
 * <p><b>Deterministic</b> (Finagle's, with the server ring in units of {@code 1/(N·C)} so that all
 * arithmetic is exact): the {@code N} usable endpoints sorted by XXH64 of their address under a fixed
 * seed (every process sorts alike); endpoint {@code i} spans {@code [i·C, (i+1)·C)}. Client
 * {@code c} of {@code C} takes {@code [c·N, c·N + k·N)} with {@code k = ceil(A·C/E)} client arcs,
 * {@code A = min(size, E)} and {@code E} the eligible endpoints: Finagle's {@code ceil(A·C/N)} when
 * all are eligible, wider by {@code N/E} when some are not, so the arc still holds about {@code A}
 * eligible endpoints. Every point of the ring lies in exactly {@code k} arcs, so every endpoint gets
 * the same share of clients. <b>Random</b> (gRPC A68): the {@code size} endpoints with the lowest
 * XXH64 of their address under the aperture's seed. Either way, while fewer than
 * {@code max(1, ceil(A/2))} of the slice's endpoints are eligible, it extends to the next endpoints
 * in ring (or score) order.
 */
final class ApertureRing {

  /** The ring order's seed: fixed, so that every client orders the endpoints alike. */
  static final long RING_SEED = 0x6c62346a2d72696eL; // "lb4j-rin"

  private ApertureRing() {}

  /**
   * One client's slice.
   *
   * @param members candidate indices, in the order given
   * @param accept per member, its share of a full endpoint's traffic (above 0, at most 1)
   */
  record Slice(int[] members, double[] accept) {}

  /**
   * @param usable the level's usable endpoints (candidate indices, not draining), in list order
   * @param eligible per candidate (all candidates), whether it is eligible
   * @param endpoints per candidate, its endpoint (for its address)
   */
  static Slice select(int[] usable, boolean[] eligible, List<Endpoint> endpoints, Aperture aperture, Peers peers) {
    int n = usable.length;
    int e = 0;
    for (int i : usable) {
      e += eligible[i] ? 1 : 0;
    }
    if (n == 0 || e == 0 || aperture.size() >= n) {
      return all(usable);
    }
    int a = Math.min(aperture.size(), e);
    int need = Math.max(1, (a + 1) / 2);
    if (aperture.isDeterministic() && peers.hasPosition()) {
      return deterministic(usable, eligible, endpoints, a, e, need, peers);
    }
    return random(usable, eligible, endpoints, a, need, aperture.seed());
  }

  private static Slice deterministic(int[] usable, boolean[] eligible, List<Endpoint> endpoints, int a, int e,
      int need, Peers peers) {
    int n = usable.length;
    long c = peers.count();
    long k = (a * c + e - 1) / e;
    if (k >= c) {
      return all(usable);
    }
    int[] ring = order(usable, endpoints, RING_SEED);
    long start = peers.index() * (long) n;
    long end = start + k * n;
    List<Integer> members = new ArrayList<>();
    List<Double> shares = new ArrayList<>();
    int eligibleIn = 0;
    long pos = start / c; // unwrapped index of the endpoint holding the arc's start
    for (; pos * c < end && members.size() < n; pos++) {
      long overlap = Math.min(end, (pos + 1) * c) - Math.max(start, pos * c);
      int i = ring[(int) (pos % n)];
      members.add(i);
      shares.add((double) overlap / c);
      eligibleIn += eligible[i] ? 1 : 0;
    }
    if (eligibleIn < need) {
      shares.set(shares.size() - 1, 1.0);
      for (; eligibleIn < need && members.size() < n; pos++) {
        int i = ring[(int) (pos % n)];
        members.add(i);
        shares.add(1.0);
        eligibleIn += eligible[i] ? 1 : 0;
      }
    }
    return slice(members, shares, usable);
  }

  private static Slice random(int[] usable, boolean[] eligible, List<Endpoint> endpoints, int a, int need, long seed) {
    int[] order = order(usable, endpoints, seed);
    List<Integer> members = new ArrayList<>();
    List<Double> shares = new ArrayList<>();
    int eligibleIn = 0;
    for (int k = 0; k < order.length && (members.size() < a || eligibleIn < need); k++) {
      members.add(order[k]);
      shares.add(1.0);
      eligibleIn += eligible[order[k]] ? 1 : 0;
    }
    return slice(members, shares, usable);
  }

  /** The members in the order {@code usable} lists them (list order, as pickers expect). */
  private static Slice slice(List<Integer> members, List<Double> shares, int[] usable) {
    if (members.size() == usable.length && shares.stream().allMatch(s -> s >= 1.0)) {
      return all(usable);
    }
    Integer[] idx = new Integer[members.size()];
    for (int k = 0; k < idx.length; k++) {
      idx[k] = k;
    }
    Arrays.sort(idx, Comparator.comparingInt(members::get));
    int[] m = new int[idx.length];
    double[] s = new double[idx.length];
    for (int k = 0; k < idx.length; k++) {
      m[k] = members.get(idx[k]);
      s[k] = shares.get(idx[k]);
    }
    return new Slice(m, s);
  }

  private static Slice all(int[] usable) {
    double[] s = new double[usable.length];
    Arrays.fill(s, 1.0);
    return new Slice(usable, s);
  }

  /**
   * The candidates ordered by XXH64 (under {@code seed}) of their address's UTF-8 bytes, unsigned,
   * then by address: the same order in every process.
   */
  static int[] order(int[] usable, List<Endpoint> endpoints, long seed) {
    LongHashFunction h = LongHashFunction.xx(seed);
    long[] scores = new long[endpoints.size()];
    Integer[] idx = new Integer[usable.length];
    for (int k = 0; k < usable.length; k++) {
      idx[k] = usable[k];
      scores[usable[k]] = h.hashBytes(endpoints.get(usable[k]).address().getBytes(StandardCharsets.UTF_8));
    }
    Arrays.sort(idx, (x, y) -> {
      int byScore = Long.compareUnsigned(scores[x], scores[y]);
      return byScore != 0 ? byScore : endpoints.get(x).address().compareTo(endpoints.get(y).address());
    });
    int[] out = new int[idx.length];
    for (int k = 0; k < out.length; k++) {
      out[k] = idx[k];
    }
    return out;
  }
}
