package io.lb4j.okhttp;

import io.lb4j.Outcome;
import java.io.IOException;
import okhttp3.Call;
import okhttp3.Response;

/**
 * Turns the result of one attempt into the {@link Outcome} the load balancer learns from (outlier
 * detection, latency) and the retry policy acts on. Implementations must be thread-safe and fast;
 * they run on the calling thread of every balanced call.
 *
 * <p>{@link #defaults()}: 2xx–4xx {@code SUCCESS} (a 404 is the caller's problem, not the
 * backend's), 5xx {@code SERVER_ERROR}; {@code ConnectException}, {@code NoRouteToHostException},
 * {@code UnknownHostException} and a failed TLS handshake ({@code SSLHandshakeException},
 * {@code SSLPeerUnverifiedException}: untrusted certificate, wrong name, pin mismatch) {@code CONNECT_FAILURE}; {@code SocketTimeoutException} and the
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
    return DefaultFailureClassifier.INSTANCE;
  }
}
