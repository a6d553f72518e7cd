package io.lb4j.okhttp;

import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;

/**
 * A response body that keeps its endpoint's request in flight until the body is closed, read to the
 * end, or fails; then releases the selection exactly once with the outcome and the latency from the
 * start of the attempt. A read error is classified (a cancelled download releases as CANCELLED).
 */
final class ReleasingBody extends ResponseBody {

  private static final AtomicIntegerFieldUpdater<ReleasingBody> RELEASED =
      AtomicIntegerFieldUpdater.newUpdater(ReleasingBody.class, "released");

  private final ResponseBody delegate;
  private final Selection selection;
  private final Outcome outcome;
  private final long startNanos;
  private final FailureClassifier classifier;
  private final Call call;
  private BufferedSource source;
  private volatile int released;

  ReleasingBody(ResponseBody delegate, Selection selection, Outcome outcome, long startNanos,
      FailureClassifier classifier, Call call) {
    this.delegate = delegate;
    this.selection = selection;
    this.outcome = outcome;
    this.startNanos = startNanos;
    this.classifier = classifier;
    this.call = call;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  @Override
  public synchronized BufferedSource source() {
    if (source == null) {
      source = Okio.buffer(new ForwardingSource(delegate.source()) {
        @Override
        public long read(Buffer sink, long byteCount) throws IOException {
          long n;
          try {
            n = super.read(sink, byteCount);
          } catch (IOException e) {
            release(LoadBalancingInterceptor.classify(classifier, call, e));
            throw e;
          }
          if (n == -1) {
            release(outcome);
          }
          return n;
        }

        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            release(outcome);
          }
        }
      });
    }
    return source;
  }

  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      release(outcome);
    }
  }

  void release(Outcome o) {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      selection.release(o, System.nanoTime() - startNanos);
    }
  }
}
