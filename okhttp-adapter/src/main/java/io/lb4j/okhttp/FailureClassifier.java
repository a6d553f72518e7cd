package io.lb4j.okhttp;

import io.lb4j.Outcome;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import okhttp3.Call;
import okhttp3.Response;

/**
 * Turns the result of one attempt into the {@link Outcome} the load balancer learns from (outlier
 * detection, latency) and the retry policy acts on. Implementations must be thread-safe and fast;
 * they run on the calling thread of every balanced call.
 *
 * <p>{@link #defaults()}: 2xx–4xx {@code SUCCESS} (a 404 is the caller's problem, not the
 * backend's), 5xx {@code SERVER_ERROR}; {@code ConnectException}, {@code NoRouteToHostException},
 * {@code UnknownHostException} {@code CONNECT_FAILURE}; {@code SocketTimeoutException} and the
 * call timeout {@code TIMEOUT}; a cancelled call {@code CANCELLED}; any other I/O error (reset,
 * truncated response) {@code SERVER_ERROR}.
 */
public interface FailureClassifier {

  /** The outcome of an attempt that produced a response (called once the headers are in). */
  Outcome classify(Response response);

  /** The outcome of an attempt that failed with an I/O error, on {@code call}. */
  Outcome classify(Call call, IOException error);

  /** The default classification described on this interface. Stateless and thread-safe. */
  static FailureClassifier defaults() {
    return DefaultClassifier.INSTANCE;
  }

  /** See {@link FailureClassifier#defaults()}. */
  enum DefaultClassifier implements FailureClassifier {
    INSTANCE;

    @Override
    public Outcome classify(Response response) {
      return response.code() >= 500 ? Outcome.SERVER_ERROR : Outcome.SUCCESS;
    }

    @Override
    public Outcome classify(Call call, IOException error) {
      // OkHttp's call timeout cancels the call and throws InterruptedIOException("timeout"): check
      // timeouts before cancellation so that a timed-out call does not look cancelled by the caller.
      if (error instanceof SocketTimeoutException
          || (error instanceof InterruptedIOException && "timeout".equals(error.getMessage()))) {
        return Outcome.TIMEOUT;
      }
      if (call != null && call.isCanceled()) {
        return Outcome.CANCELLED;
      }
      if (error instanceof ConnectException
          || error instanceof NoRouteToHostException
          || error instanceof UnknownHostException) {
        return Outcome.CONNECT_FAILURE;
      }
      if (error instanceof InterruptedIOException) {
        return Outcome.TIMEOUT;
      }
      return Outcome.SERVER_ERROR;
    }
  }
}
