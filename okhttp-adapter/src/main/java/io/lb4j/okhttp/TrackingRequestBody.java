package io.lb4j.okhttp;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;

/**
 * A request body that tells a failure of the caller's own {@link RequestBody#writeTo} (a file that
 * vanished, a stream that threw) from a failure of the connection it writes to: the first is the
 * caller's problem and must not count against the endpoint, the second is the endpoint's (or the
 * network's). It routes the caller's writes through a sink that remembers whether the network
 * write threw; an exception out of {@code writeTo} that the network never raised is local.
 * One instance per attempt (whose last write counts); duplex bodies are not wrapped (their writes outlive {@code writeTo}).
 */
final class TrackingRequestBody extends RequestBody {

  private final RequestBody delegate;
  private volatile boolean networkFailed;
  private volatile IOException localFailure;

  TrackingRequestBody(RequestBody delegate) {
    this.delegate = delegate;
  }

  @Override
  public MediaType contentType() {
    return delegate.contentType();
  }

  @Override
  public long contentLength() throws IOException {
    return delegate.contentLength();
  }

  @Override
  public boolean isOneShot() {
    return delegate.isOneShot();
  }

  @Override
  public boolean isDuplex() {
    return delegate.isDuplex();
  }

  @Override
  public void writeTo(BufferedSink sink) throws IOException {
    // OkHttp writes the body again when it recovers from a failed connection within the attempt
    // (retryOnConnectionFailure): only the last write tells whose failure ends the attempt.
    networkFailed = false;
    localFailure = null;
    BufferedSink tracked = Okio.buffer(new ForwardingSink(sink) {
      @Override
      public void write(Buffer source, long byteCount) throws IOException {
        try {
          super.write(source, byteCount);
        } catch (IOException e) {
          networkFailed = true;
          throw e;
        }
      }

      @Override
      public void flush() throws IOException {
        try {
          super.flush();
        } catch (IOException e) {
          networkFailed = true;
          throw e;
        }
      }
    });
    try {
      delegate.writeTo(tracked);
    } catch (IOException e) {
      if (!networkFailed) {
        localFailure = e;
      }
      throw e;
    }
    tracked.emit(); // hand the rest to OkHttp's sink, which OkHttp closes; no extra flush
  }

  /** Whether {@code e} came out of the caller's {@code writeTo} without the network failing. */
  boolean failedLocally(IOException e) {
    IOException local = localFailure;
    if (local == null) {
      return false;
    }
    // OkHttp may wrap what writeTo threw (e.g. in its call-timeout exception); look a few levels down.
    Throwable t = e;
    for (int i = 0; i < 4 && t != null; i++, t = t.getCause()) {
      if (t == local) {
        return true;
      }
    }
    return false;
  }
}
