package io.lb4j.policy;

/**
 * The 32-bit Mersenne Twister exactly as C++'s {@code std::mt19937}: for the same seed it returns the
 * same numbers, which is what makes lb4j's bounded-load spill order Envoy's. It computes lazily: the
 * first outputs after {@link #seed} need only the first few hundred words of the initial state, so
 * a spill that draws a handful of numbers does not pay for the full 624-word initialisation and
 * twist. Reusable (seed again), allocation-free after construction; not thread-safe.
 */
final class Mt19937 {

  private static final int N = 624;
  private static final int M = 397;

  /** The state right after seeding; entries {@code [0, initFilled)} are computed. */
  private final int[] init = new int[N];
  /** The current block of untempered outputs; in the first block, entries {@code [0, next)}. */
  private final int[] block = new int[N];
  private int initFilled;
  private int next;
  private boolean firstBlock;

  /** Seeds as {@code std::mt19937(seed)} does with a 64-bit value: only the low 32 bits count. */
  void seed(long seed) {
    init[0] = (int) seed;
    initFilled = 1;
    next = 0;
    firstBlock = true;
  }

  /** The next output, an unsigned 32-bit value in a {@code long}. */
  long next() {
    if (next == N) {
      twistInPlace();
      next = 0;
      firstBlock = false;
    }
    int k = next++;
    int y;
    if (firstBlock) {
      // The first twist, one word at a time: word k needs words k, k+1 and k+397 of the seeded
      // state, or words already twisted once k+1 or k+397 passes the end.
      fillInit(Math.min(N - 1, k + M));
      int upper = init[k];
      int lower = k + 1 < N ? init[k + 1] : block[0];
      int far = k + M < N ? init[k + M] : block[k + M - N];
      y = twist(upper, lower, far);
      block[k] = y;
    } else {
      y = block[k];
    }
    return temper(y) & 0xffff_ffffL;
  }

  /**
   * A uniform draw from {@code [0, k)} as Envoy's bounded-load {@code uniform_int} makes it:
   * {@code x = next() / (2^32 / k)}, redrawn while {@code x >= k}. A redraw happens with
   * probability {@code (2^32 mod k) / 2^32}, under {@code k / 2^32} (one in a million for 4,096
   * endpoints), so the loop ends after one draw in practice; Envoy's order needs the same redraws.
   *
   * @param k at least 1
   */
  int uniform(int k) {
    long bucket = (1L << 32) / k;
    long x;
    do {
      x = next() / bucket;
    } while (x >= k);
    return (int) x;
  }

  private void fillInit(int upTo) {
    for (int i = initFilled; i <= upTo; i++) {
      int prev = init[i - 1];
      init[i] = 1_812_433_253 * (prev ^ (prev >>> 30)) + i;
    }
    initFilled = Math.max(initFilled, upTo + 1);
  }

  private void twistInPlace() {
    for (int i = 0; i < N; i++) {
      block[i] = twist(block[i], block[(i + 1) % N], block[(i + M) % N]);
    }
  }

  private static int twist(int upper, int lower, int far) {
    int y = (upper & 0x8000_0000) | (lower & 0x7fff_ffff);
    return far ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908_b0df : 0);
  }

  private static int temper(int y) {
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^= y >>> 18;
    return y;
  }
}
