package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One endpoint's peak-EWMA latency estimate (Finagle's {@code PeakEwma}), kept only for a policy
 * that asks for it ({@link io.lb4j.policy.Policy#peakEwmaDecayNanos()}): an estimate {@code E} in
 * nanoseconds and the balancer-ticker time {@code s} it was last updated. Its value at a later time
 * {@code t} is {@code E * exp(-(t - s) / decay)}: it decays towards 0 while no sample arrives, so
 * an endpoint that stopped getting traffic because it was slow is tried again.
 *
 * <p>A successful request's latency {@code r}, released at {@code t}, first fades the estimate to
 * {@code t} ({@code D = E * w}, {@code w = exp(-(t - s) / decay)}) and then updates it with
 * Finagle's rules: a new peak ({@code r >= D}) replaces it at once; a faster response is averaged in,
 * {@code E = D * w + r * (1 - w)}, so it pulls the estimate down only as fast as the time constant
 * allows. Fading first is what Finagle does too (its every read folds in a 0 ms sample), but there
 * the result depends on how often the balancer reads; here it depends only on responses and time,
 * and an endpoint that faded below the others while it was shunned is back at once if its next
 * response is as fast as theirs.
 *
 * <p>A failed request (server error, connect failure, timeout) is no evidence that the endpoint got
 * faster: its latency may raise the estimate, never lower it, and it restores the estimate to its
 * last value before fading ({@code E = max(E, r)}, stamped now), so an endpoint that keeps failing
 * fast does not turn attractive as its estimate would otherwise fade; a failure never creates an
 * estimate. A cancelled request's latency is a lower bound: it may raise the faded estimate, nothing
 * else.
 *
 * <p>Thread safety: lock-free and allocation-free. Two releases racing on one endpoint may lose one
 * sample (the racy read-modify-write of {@link EndpointState}'s other averages). The stamp is written
 * after the estimate with release semantics, so a reader that reads the stamp first and then the
 * estimate sees a pair at least as new as the stamp; within the few nanoseconds of a write it may
 * see a new estimate with the previous stamp, which only decays that estimate too far for one read.
 */
final class PeakLatency {

  private static final VarHandle ESTIMATE;
  private static final VarHandle STAMP;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      ESTIMATE = lookup.findVarHandle(PeakLatency.class, "estimate", double.class);
      STAMP = lookup.findVarHandle(PeakLatency.class, "stamp", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Ticker ticker;
  private final double decayNanos;
  /** Nanoseconds, 0 until the first sample (a sample is stored as at least 1 ns). */
  @SuppressWarnings("unused") // accessed through ESTIMATE
  private volatile double estimate;
  @SuppressWarnings("unused") // accessed through STAMP
  private volatile long stamp;

  /**
   * @param ticker the balancer's monotonic nanosecond ticker, read once per observed release
   * @param decayNanos the time constant, &gt; 0
   */
  PeakLatency(Ticker ticker, long decayNanos) {
    if (decayNanos <= 0) {
      throw new IllegalArgumentException("decayNanos must be > 0, was " + decayNanos);
    }
    this.ticker = ticker;
    this.decayNanos = decayNanos;
  }

  /** The estimate as of {@link #stamp()}, in nanoseconds; 0 before the first sample. */
  double estimate() {
    return (double) ESTIMATE.getOpaque(this);
  }

  /** The ticker time of the last update. */
  long stamp() {
    return (long) STAMP.getAcquire(this);
  }

  /** Folds in one released request; {@code latencyNanos >= 0}. */
  void observe(Outcome outcome, long latencyNanos) {
    double e = (double) ESTIMATE.getOpaque(this);
    if (e == 0.0 && outcome != Outcome.SUCCESS) {
      return; // only a success starts an estimate; until then pickers use a neutral one
    }
    long now = ticker.read();
    long s = (long) STAMP.getOpaque(this);
    double r = Math.max(1.0, latencyNanos);
    // A clock that went backwards (or a racing writer with a later stamp) counts as no time passed.
    double w = e == 0.0 ? 0.0 : Math.exp(-Math.max(0L, now - s) / decayNanos);
    double faded = e * w;
    double next;
    switch (outcome) {
      case SUCCESS -> next = r >= faded ? r : faded * w + r * (1 - w);
      case CANCELLED -> {
        if (r <= faded) {
          return; // below the faded estimate: says nothing
        }
        next = r;
      }
      default -> next = Math.max(e, r);
    }
    ESTIMATE.setOpaque(this, next);
    STAMP.setRelease(this, Math.max(now, s));
  }

  @Override
  public String toString() {
    return "PeakLatency{estimate=" + estimate() + "ns, stamp=" + stamp() + "}";
  }
}
