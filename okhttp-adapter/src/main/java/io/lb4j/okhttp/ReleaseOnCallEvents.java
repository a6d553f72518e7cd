package io.lb4j.okhttp;

import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Releases one attempt's selection exactly once from its call's events (added with
 * {@code Call.addEventListener} when the attempt's exchange is all that is left of it), so the
 * response reaches the caller as OkHttp made it: no copied {@code Response}, no wrapped body.
 *
 * <ul>
 *   <li>{@link #whenBodyEnds}: the response's body is still to come and the attempt lasts as long:
 *       read to the end or closed ({@code responseBodyEnd}) it releases with the response's outcome;
 *       failed ({@code responseFailed}) with the failure's, classified. The call's exchange is the
 *       attempt's until that body ends (OkHttp starts no other while a response body is open), so
 *       these events are this body's. Should the call end first (a later interceptor consumed the
 *       body before it reached the caller) the attempt ends with it.
 *   <li>{@link #whenCallEnds}: the attempt failed because its call was cancelled; only OkHttp knows
 *       whether by the caller or by the call timeout, and it says so when the call ends, to the
 *       listeners ({@code callFailed} with its {@code InterruptedIOException("timeout")}) before the
 *       caller sees the exception.
 * </ul>
 * A body that fails while the call is cancelled and has a timeout waits for the call's end the same
 * way, so that a call timeout during a download counts as {@link Outcome#TIMEOUT}.
 */
final class ReleaseOnCallEvents extends EventListener {

  private static final AtomicIntegerFieldUpdater<ReleaseOnCallEvents> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(ReleaseOnCallEvents.class, "released");

  private final Selection selection;
  private final Outcome outcome; // the response's; null once the attempt failed (then the call's end decides)
  private final long startNanos;
  private final FailureClassifier classifier;
  private volatile boolean failed;
  @SuppressWarnings("unused") // through RELEASED
  private volatile int released;

  private ReleaseOnCallEvents(Selection selection, Outcome outcome, long startNanos, FailureClassifier classifier) {
    this.selection = selection;
    this.outcome = outcome;
    this.startNanos = startNanos;
    this.classifier = classifier;
    this.failed = outcome == null;
  }

  /** Releases with {@code outcome} when the response's body ends, or classified when it fails. */
  static ReleaseOnCallEvents whenBodyEnds(Selection selection, Outcome outcome, long startNanos,
      FailureClassifier classifier) {
    return new ReleaseOnCallEvents(selection, outcome, startNanos, classifier);
  }

  /** Releases a cancelled attempt when its call ends, with the call's failure classified. */
  static ReleaseOnCallEvents whenCallEnds(Selection selection, long startNanos, FailureClassifier classifier) {
    return new ReleaseOnCallEvents(selection, null, startNanos, classifier);
  }

  /** Whether OkHttp reports why a failure of {@code call} happened only when the call ends. */
  static boolean endsWithTheCall(Call call) {
    return call.isCanceled() && call.timeout().timeoutNanos() > 0;
  }

  @Override
  public void responseBodyEnd(Call call, long byteCount) {
    if (!failed) {
      release(outcome);
    }
  }

  @Override
  public void responseFailed(Call call, IOException ioe) {
    if (failed) {
      return;
    }
    if (endsWithTheCall(call)) {
      failed = true; // callFailed says whether the timeout fired
      return;
    }
    release(LoadBalancingInterceptor.classify(classifier, call, ioe));
  }

  @Override
  public void callFailed(Call call, IOException ioe) {
    release(failed ? LoadBalancingInterceptor.classify(classifier, call, ioe) : outcome);
  }

  @Override
  public void callEnd(Call call) {
    // After a failure: an interceptor before lb4j's recovered from it; the attempt itself was still cancelled.
    release(failed ? Outcome.CANCELLED : outcome);
  }

  private void release(Outcome o) {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      selection.release(o, System.nanoTime() - startNanos);
    }
  }
}
