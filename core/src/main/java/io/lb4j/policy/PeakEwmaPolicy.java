package io.lb4j.policy;

import io.lb4j.internal.ConfigChecks;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Latency-aware power of two choices (Finagle's {@code P2CPeakEwma}): draw two <em>distinct</em>
 * endpoints at random and take the one with the lower cost
 * {@code peakEwmaLatency * (inFlight + 1)}, its expected wait for the next request; a tie goes to
 * either at random.
 *
 * <p><b>The latency estimate</b> ({@link EndpointView#peakEwmaNanos()}, kept by the balancer for this
 * policy) fades by {@code exp(-elapsed/decay)} (time constant {@code decay}, default 10 s, Finagle's);
 * a response slower than the faded estimate replaces it at once, a faster one is averaged in with
 * weight {@code 1 - exp(-(t - last)/decay)}. So the estimate jumps to a latency spike and comes down
 * over about {@code decay}. An endpoint shunned for being slow gets no responses, and its estimate
 * fades until it is below the others' (for a backend 10 times slower than the rest, after about
 * {@code decay * ln 10}, 23 s at the default); the next try either restores the estimate or, if the
 * endpoint has recovered, brings it straight back. A short decay follows changes quickly and forgets
 * a slow spell soon; a long one remembers it and keeps traffic away from an endpoint that is slow now
 * and then.
 *
 * <p><b>Where lb4j differs from Finagle</b>, each by design:
 * <ul>
 *   <li><b>No samples yet</b>: an endpoint that has not answered successfully counts as exactly as
 *       fast as the endpoint it is compared with, so the pair is decided by in-flight counts as in
 *       {@link PowerOfTwoChoicesPolicy}: a newcomer is tried at once, and keeps getting a fair share
 *       until its first response says how fast it is. (Finagle gives a newcomer cost 0 and then, while
 *       its first request is pending, a penalty of about 1.4e14: one probe, then nothing until it
 *       answers.)
 *   <li><b>Failures</b>: a failed request never lowers the estimate (only raises it, when it was
 *       slow, as a timeout is) and restarts its fading, and the cost is divided by
 *       {@code 1 - failureRatio} (see {@link EndpointView#failureRatio()}, capped at 0.95, one compare
 *       in 32 ignores it) as in {@link PowerOfTwoChoicesPolicy}; so an endpoint that fails fast is
 *       not attractive. Finagle folds a failure's latency in like any other, so a fast 503 lowers the
 *       cost, and leaves failing endpoints to failure accrual.
 *   <li><b>Reads do not write</b>: Finagle fades the estimate on every read by folding in a 0 ms
 *       sample, which makes its value depend on how often the balancer looks; lb4j fades it when a
 *       response arrives and its pickers compare the two estimates faded to the same instant, so the
 *       value depends only on responses and time.
 * </ul>
 *
 * <p>Weights are ignored (as in Finagle's P2C). Cost per pick: two random draws, eight volatile reads
 * and one {@code Math.exp} when both candidates have estimates (the older one is faded to the newer
 * one's time, so the picker reads no clock); no lock, no allocation. Each release of a balancer using
 * this policy also reads its ticker and computes one {@code Math.exp}. Building is O(n). The policy
 * and its pickers are immutable and thread-safe.
 */
public final class PeakEwmaPolicy implements WeightBlindPolicy {

  /** The default time constant of the latency estimate, 10 s: Finagle's. */
  public static final Duration DEFAULT_DECAY = Duration.ofSeconds(10);

  private final Duration decay;
  private final long decayNanos;

  PeakEwmaPolicy(Duration decay) {
    this.decay = ConfigChecks.timer("decay", decay);
    this.decayNanos = this.decay.toNanos();
  }

  /** The time constant of the latency estimate. */
  public Duration decay() {
    return decay;
  }

  @Override
  public String name() {
    return "peak_ewma";
  }

  /** {@code true}: the pickers compare latencies, so adapters must time requests. */
  @Override
  public boolean usesLatency() {
    return true;
  }

  /** The {@link #decay()} in nanoseconds. */
  @Override
  public long peakEwmaDecayNanos() {
    return decayNanos;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    double perNano = 1.0 / decayNanos;
    return PickerSupport.distinctPair(eligible, (a, b, rnd) -> cheaper(a, b, rnd, perNano));
  }

  private static EndpointView cheaper(EndpointView a, EndpointView b, ThreadLocalRandom rnd, double perNano) {
    long sa = a.peakEwmaStampNanos(); // stamps first: each estimate read after is at least as new
    long sb = b.peakEwmaStampNanos();
    double ea = a.peakEwmaNanos();
    double eb = b.peakEwmaNanos();
    double ca = a.inFlight() + 1.0;
    double cb = b.inFlight() + 1.0;
    if (ea > 0.0 && eb > 0.0) {
      // Fade the older estimate to the newer one's time: the fading common to both cancels out.
      // The stamp difference is taken in double, so no stamps overflow it.
      if (sa >= sb) {
        ca *= ea;
        cb *= eb * Math.exp(((double) sb - sa) * perNano);
      } else {
        ca *= ea * Math.exp(((double) sa - sb) * perNano);
        cb *= eb;
      }
    } // else one has no estimate: it counts as fast as the other, so the loads decide
    double fa = a.failureRatio();
    double fb = b.failureRatio();
    if ((fa != 0.0 || fb != 0.0) && !PickerSupport.explore(rnd)) {
      ca /= PickerSupport.successShare(fa);
      cb /= PickerSupport.successShare(fb);
    }
    // on a tie 'a' is already a fair coin: the ordered pair is uniformly random
    return cb < ca ? b : a;
  }

  @Override
  public String toString() {
    return "peak_ewma(decay=" + ConfigChecks.format(decay) + ")";
  }
}
