package io.lb4j.bench.sim;

/**
 * One backend of a {@link FaultScenario}: an HTTP server with unlimited concurrency whose behaviour
 * changes when a given share of the run's requests has completed (so the simulator and the
 * real-server tests change it at the same point of the run), or, for a flapping backend, with
 * simulated time.
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
 * @param flapMillis length of the windows in which it alternately serves and answers every request
 *     with an immediate 503 (its health endpoint passing throughout), the first one serving; 0 = never
 * @param blackholed while down, whether its host is gone (connection attempts and probes get no
 *     answer: they fail at the client's timeout) rather than refusing connections at once
 */
public record FaultBackend(String label, double serviceMillis, double failureProbability, double failMillis,
    double healAfter, double downAfter, double upAfter, double slowAfter, double slowMillis, double flapMillis,
    boolean blackholed) {

  /** Validates every field. */
  public FaultBackend {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("label must not be blank");
    }
    if (!(serviceMillis > 0) || !(failMillis > 0) || !(slowMillis > 0)) {
      throw new IllegalArgumentException(label + ": service, fail and slow millis must be > 0");
    }
    if (!(flapMillis >= 0)) {
      throw new IllegalArgumentException(label + ": flapMillis must be >= 0, was " + flapMillis);
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
    return new FaultBackend(label, serviceMillis, 0, 1, -1, -1, -1, -1, serviceMillis, 0, false);
  }

  /** This backend answering a share {@code p} of the requests with an immediate (1 ms) 503. */
  public FaultBackend failing(double p) {
    return new FaultBackend(label, serviceMillis, p, 1, healAfter, downAfter, upAfter, slowAfter, slowMillis,
        flapMillis, blackholed);
  }

  /** This backend no longer answering 503 from {@code after} (share of the run) on. */
  public FaultBackend healing(double after) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, after, downAfter, upAfter,
        slowAfter, slowMillis, flapMillis, blackholed);
  }

  /** This backend refusing connections from {@code down} (share of the run) until {@code up} (-1: for good). */
  public FaultBackend down(double down, double up) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, down, up, slowAfter,
        slowMillis, flapMillis, blackholed);
  }

  /** This backend taking {@code millis} per answer from {@code after} (share of the run) on. */
  public FaultBackend slow(double after, double millis) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, downAfter, upAfter,
        after, millis, flapMillis, blackholed);
  }

  /**
   * This backend alternating every {@code millis} of simulated time between serving and answering
   * every request with an immediate 503, its health endpoint passing throughout (a dependency of the
   * request path fails, not the process).
   */
  public FaultBackend flapping(double millis) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, downAfter, upAfter,
        slowAfter, slowMillis, millis, blackholed);
  }

  /**
   * This backend's host vanishing from {@code down} (share of the run) on, for good: connection
   * attempts and probes get no answer and fail at the client's timeout, and requests it was serving
   * fail the same way.
   */
  public FaultBackend vanishing(double down) {
    return new FaultBackend(label, serviceMillis, failureProbability, failMillis, healAfter, down, -1, slowAfter,
        slowMillis, flapMillis, true);
  }
}
