package io.lb4j.okhttp;

import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Call;
import okhttp3.EventListener;

/**
 * Releases the selection of an attempt that ended because its call was cancelled, once OkHttp says
 * why. A call timeout cancels the call, so the attempt only sees "Canceled"; OkHttp then ends the
 * call with {@code InterruptedIOException("timeout")} if its timeout fired, and it reports that to
 * the call's listeners ({@link #callFailed}) before the caller sees the exception. The release
 * therefore uses the exception the caller gets, and happens before the caller gets it.
 */
final class ReleaseWhenCallEnds extends EventListener {

  private final Selection selection;
  private final long startNanos;
  private final FailureClassifier classifier;
  private final AtomicBoolean released = new AtomicBoolean();

  ReleaseWhenCallEnds(Selection selection, long startNanos, FailureClassifier classifier) {
    this.selection = selection;
    this.startNanos = startNanos;
    this.classifier = classifier;
  }

  @Override
  public void callFailed(Call call, IOException ioe) {
    release(LoadBalancingInterceptor.classify(classifier, call, ioe));
  }

  @Override
  public void callEnd(Call call) {
    // An interceptor before lb4j's recovered from the failure: the attempt itself was still cancelled.
    release(Outcome.CANCELLED);
  }

  private void release(Outcome outcome) {
    if (released.compareAndSet(false, true)) {
      selection.release(outcome, System.nanoTime() - startNanos);
    }
  }
}
