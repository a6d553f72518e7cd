package io.lb4j.bench.sim;

/**
 * One simulated backend: a FIFO queue in front of {@code concurrency} servers.
 *
 * @param meanServiceMillis mean service time in milliseconds (&gt; 0)
 * @param logNormalSigma 0 for exponential service times, else the log-normal sigma (same mean)
 * @param concurrency requests served at once (&ge; 1)
 * @param queueLimit requests that may wait; more are rejected at once with a 503 (&ge; 0)
 * @param failureProbability chance that a served request fails with a server error (0..1)
 * @param weight the endpoint weight given to lb4j (&ge; 1)
 * @param downAtSeconds simulated second the backend dies (connections refused), or -1 for never
 * @param upAtSeconds simulated second it comes back, or -1 for never
 * @param slowdown when its service times are stretched ({@link Slowdown#NONE} for never)
 */
public record BackendSpec(double meanServiceMillis, double logNormalSigma, int concurrency, int queueLimit,
    double failureProbability, int weight, double downAtSeconds, double upAtSeconds, Slowdown slowdown) {

  /** Validates every field. */
  public BackendSpec {
    if (!(meanServiceMillis > 0)) {
      throw new IllegalArgumentException("meanServiceMillis must be > 0, was: " + meanServiceMillis);
    }
    if (logNormalSigma < 0) {
      throw new IllegalArgumentException("logNormalSigma must be >= 0, was: " + logNormalSigma);
    }
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1, was: " + concurrency);
    }
    if (queueLimit < 0) {
      throw new IllegalArgumentException("queueLimit must be >= 0, was: " + queueLimit);
    }
    if (!(failureProbability >= 0 && failureProbability <= 1)) {
      throw new IllegalArgumentException("failureProbability must be in [0, 1], was: " + failureProbability);
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, was: " + weight);
    }
    if (slowdown == null) {
      throw new IllegalArgumentException("slowdown must not be null (use Slowdown.NONE)");
    }
  }

  /** A healthy backend: exponential service with the given mean, the given concurrency, queue 100. */
  public static BackendSpec of(double meanServiceMillis, int concurrency) {
    return new BackendSpec(meanServiceMillis, 0, concurrency, 100, 0, 1, -1, -1, Slowdown.NONE);
  }

  /** This backend with a different mean service time. */
  public BackendSpec withMeanServiceMillis(double millis) {
    return new BackendSpec(millis, logNormalSigma, concurrency, queueLimit, failureProbability, weight,
        downAtSeconds, upAtSeconds, slowdown);
  }

  /** This backend failing each served request with the given probability. */
  public BackendSpec withFailureProbability(double p) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, p, weight, downAtSeconds,
        upAtSeconds, slowdown);
  }

  /** This backend with the given endpoint weight. */
  public BackendSpec withWeight(int w) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, failureProbability, w,
        downAtSeconds, upAtSeconds, slowdown);
  }

  /** This backend dead from {@code down} to {@code up} simulated seconds. */
  public BackendSpec withOutage(double down, double up) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, failureProbability, weight,
        down, up, slowdown);
  }

  /** This backend with log-normal service times of the given sigma (same mean). */
  public BackendSpec withLogNormal(double sigma) {
    return new BackendSpec(meanServiceMillis, sigma, concurrency, queueLimit, failureProbability, weight,
        downAtSeconds, upAtSeconds, slowdown);
  }

  /** This backend with its service times stretched as {@code s} says. */
  public BackendSpec withSlowdown(Slowdown s) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, failureProbability, weight,
        downAtSeconds, upAtSeconds, s);
  }

  /** The mean service time at simulated second {@code t}: the base mean times the slowdown then. */
  public double meanServiceMillisAt(double t) {
    return meanServiceMillis * slowdown.factorAt(t);
  }

  /**
   * Stretched service times: from {@code fromSeconds} on, every service time is {@code factor} times
   * longer, for good ({@code periodSeconds} 0) or in the first half of every {@code periodSeconds}
   * (a latency that oscillates: slow, fast, slow, ...).
   *
   * @param factor the stretch, &gt; 0 (1 for none)
   * @param fromSeconds simulated second it starts, &ge; 0
   * @param periodSeconds 0 for a lasting slowdown, else the oscillation's period (&gt; 0)
   */
  public record Slowdown(double factor, double fromSeconds, double periodSeconds) {

    /** No slowdown. */
    public static final Slowdown NONE = new Slowdown(1, 0, 0);

    /** Validates every field. */
    public Slowdown {
      if (!(factor > 0) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("factor must be a positive number, was: " + factor);
      }
      if (!(fromSeconds >= 0)) {
        throw new IllegalArgumentException("fromSeconds must be >= 0, was: " + fromSeconds);
      }
      if (!(periodSeconds >= 0) || Double.isInfinite(periodSeconds)) {
        throw new IllegalArgumentException("periodSeconds must be >= 0 and finite, was: " + periodSeconds);
      }
    }

    /** {@code factor} times slower from {@code fromSeconds} on, for good. */
    public static Slowdown from(double fromSeconds, double factor) {
      return new Slowdown(factor, fromSeconds, 0);
    }

    /** {@code factor} times slower in the first half of every period, from {@code fromSeconds} on. */
    public static Slowdown oscillating(double fromSeconds, double periodSeconds, double factor) {
      if (!(periodSeconds > 0)) {
        throw new IllegalArgumentException("periodSeconds must be > 0, was: " + periodSeconds);
      }
      return new Slowdown(factor, fromSeconds, periodSeconds);
    }

    /** The stretch at simulated second {@code t}. */
    public double factorAt(double t) {
      if (t < fromSeconds) {
        return 1;
      }
      if (periodSeconds == 0) {
        return factor;
      }
      return (t - fromSeconds) % periodSeconds < periodSeconds / 2 ? factor : 1;
    }

    /** Whether the backend is slowed at simulated second {@code t}. */
    public boolean slowAt(double t) {
      return factorAt(t) != 1;
    }
  }
}
