package io.lb4j.bench.sim;

import java.util.Locale;

/**
 * How much traffic a scenario's slowed backend (backend 0 with a {@link BackendSpec.Slowdown}) got
 * while it was slow and while it was not, from a run's attempts per second. Only whole simulated
 * seconds from the slowdown's start to the end of arrivals count; a second counts as slow if the
 * backend was slow at its start. Immutable.
 *
 * @param slowPerSecond its mean attempts per second in slow seconds
 * @param fastPerSecond its mean attempts per second in the other seconds after the start (NaN for a
 *     lasting slowdown)
 * @param fairPerSecond the mean attempts per second per backend over the same seconds
 * @param busiest its busiest second after the start over {@code fairPerSecond}
 * @param slowShare its share of all attempts made in slow seconds
 */
record SlowedLoad(double slowPerSecond, double fastPerSecond, double fairPerSecond, double busiest,
    double slowShare) {

  /** The slowed backend's index in every scenario that has one. */
  static final int BACKEND = 0;
  /** Seconds per bucket of {@link #series}. */
  static final int BUCKET_SECONDS = 5;

  /** Whether the scenario slows backend 0. */
  static boolean applies(Scenario s) {
    return s.backends().get(BACKEND).slowdown() != BackendSpec.Slowdown.NONE;
  }

  /** The figures for one run of a scenario for which {@link #applies} holds. */
  static SlowedLoad of(Scenario s, SimResult r) {
    BackendSpec.Slowdown slowdown = s.backends().get(BACKEND).slowdown();
    int[][] perSecond = r.perSecond();
    long slow = 0;
    long fast = 0;
    long all = 0;
    long allSlow = 0;
    int slowSeconds = 0;
    int fastSeconds = 0;
    int busiest = 0;
    for (int t = (int) Math.ceil(slowdown.fromSeconds()); t < s.durationSeconds(); t++) {
      int mine = perSecond[BACKEND][t];
      int total = 0;
      for (int[] backend : perSecond) {
        total += backend[t];
      }
      all += total;
      busiest = Math.max(busiest, mine);
      if (slowdown.slowAt(t)) {
        slow += mine;
        allSlow += total;
        slowSeconds++;
      } else {
        fast += mine;
        fastSeconds++;
      }
    }
    int seconds = slowSeconds + fastSeconds;
    double fair = seconds == 0 ? 0 : (double) all / seconds / perSecond.length;
    return new SlowedLoad(slowSeconds == 0 ? Double.NaN : (double) slow / slowSeconds,
        fastSeconds == 0 ? Double.NaN : (double) fast / fastSeconds, fair, fair == 0 ? 0 : busiest / fair,
        allSlow == 0 ? 0 : (double) slow / allSlow);
  }

  /** Backend 0's attempts per second, averaged over {@value #BUCKET_SECONDS}-second buckets, as "a b c ...". */
  static String series(Scenario s, SimResult r) {
    int[] mine = r.perSecond()[BACKEND];
    StringBuilder b = new StringBuilder();
    for (int t = 0; t + BUCKET_SECONDS <= s.durationSeconds(); t += BUCKET_SECONDS) {
      int sum = 0;
      for (int k = t; k < t + BUCKET_SECONDS; k++) {
        sum += mine[k];
      }
      b.append(b.length() == 0 ? "" : " ").append(Math.round((double) sum / BUCKET_SECONDS));
    }
    return b.toString();
  }

  /** "slow 12.3/s, fast 190.1/s" (without the fast part for a lasting slowdown). */
  String perPhase() {
    String slow = String.format(Locale.ROOT, "%.0f/s while slow", slowPerSecond);
    return Double.isNaN(fastPerSecond) ? slow
        : slow + String.format(Locale.ROOT, ", %.0f/s while not", fastPerSecond);
  }
}
