package io.lb4j.bench.sim;

/**
 * One backend of a {@link FaultScenario}: an HTTP server with unlimited concurrency whose behaviour
 * changes when a given share of the run's requests has completed (so the simulator and the
 * real-server tests change it at the same point of the run).
 *
 * @param label short name for tables
 * @param serviceMillis time to answer a request successfully (each request takes 0.5 to 1.5 times this)
 * @param failureProbability chance that a request is answered at once with a 503 (0..1)
 * @param failMillis time to answer with that 503
 * @param healAfter share of the run after which it stops answering 503; -1 = never
 * @param downAfter share of the run (0..1) after which the port refuses connections; 0 = never
 *     listening; -1 = never down
 * @param upAfter share of the run after which it listens again; -1 = never
 * @param slowAfter share of the run after which successful answers take {@code slowMillis}; -1 = never
 * @param slowMillis service time once slow
 */
public record FaultBackend(String label, double serviceMillis, double failureProbability, double failMillis,
    double healAfter, double downAfter, double upAfter, double slowAfter, double slowMillis) {

  /** Validates every field. */
  public FaultBackend {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("label must not be blank");
    }
    if (!(serviceMillis > 0) || !(failMillis > 0) || !(slowMillis > 0)) {
      throw new IllegalArgumentException(label + ": service, fail and slow millis must be > 0");
    }
    if (!(failureProbability >= 0 && failureProbability <= 1)) {
      throw new IllegalArgumentException(label + ": failureProbability must be in [0, 1], was " + failureProbability);
    }
    for (double share : new double[] {healAfter, downAfter, upAfter, slowAfter}) {
      if (!(share == -1 || (share >= 0 && share <= 1))) {
        throw new IllegalArgumentException(label + ": a share of the run must be -1 or in [0, 1], was " + share);
      }
    }
  }

  /** A healthy backend answering in about {@code serviceMillis}. */
  public static FaultBackend healthy(String label, double serviceMillis) {
    return new FaultBackend(label, serviceMillis, 0, 1, -1, -1, -1, -1, serviceMillis);
  }

  /** This backend answering a share {@code p} of the requests with an immediate (1 ms) 503. */
  public FaultBackend failing(double p) {
    return new FaultBackend(label, serviceMillis, p, 1, healAfter, downAfter, upAfter, slowAfter, slowMillis);
  }

  /** This backend no longer answering 503 from {@code after} (share of the run) on. */
  public FaultBackend healing(double after) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, after, downAfter, upAfter,
        slowAfter, slowMillis);
  }

  /** This backend refusing connections from {@code down} (share of the run) until {@code up} (-1: for good). */
  public FaultBackend down(double down, double up) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, down, up, slowAfter,
        slowMillis);
  }

  /** This backend taking {@code millis} per answer from {@code after} (share of the run) on. */
  public FaultBackend slow(double after, double millis) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, downAfter, upAfter,
        after, millis);
  }
}
