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
 */
public record BackendSpec(double meanServiceMillis, double logNormalSigma, int concurrency, int queueLimit,
    double failureProbability, int weight, double downAtSeconds, double upAtSeconds) {

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
  }

  /** A healthy backend: exponential service with the given mean, the given concurrency, queue 100. */
  public static BackendSpec of(double meanServiceMillis, int concurrency) {
    return new BackendSpec(meanServiceMillis, 0, concurrency, 100, 0, 1, -1, -1);
  }

  /** This backend with a different mean service time. */
  public BackendSpec withMeanServiceMillis(double millis) {
    return new BackendSpec(millis, logNormalSigma, concurrency, queueLimit, failureProbability, weight,
        downAtSeconds, upAtSeconds);
  }

  /** This backend failing each served request with the given probability. */
  public BackendSpec withFailureProbability(double p) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, p, weight, downAtSeconds,
        upAtSeconds);
  }

  /** This backend with the given endpoint weight. */
  public BackendSpec withWeight(int w) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, failureProbability, w,
        downAtSeconds, upAtSeconds);
  }

  /** This backend dead from {@code down} to {@code up} simulated seconds. */
  public BackendSpec withOutage(double down, double up) {
    return new BackendSpec(meanServiceMillis, logNormalSigma, concurrency, queueLimit, failureProbability, weight,
        down, up);
  }

  /** This backend with log-normal service times of the given sigma (same mean). */
  public BackendSpec withLogNormal(double sigma) {
    return new BackendSpec(meanServiceMillis, sigma, concurrency, queueLimit, failureProbability, weight,
        downAtSeconds, upAtSeconds);
  }
}
