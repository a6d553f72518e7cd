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

/** The classification described on {@link FailureClassifier#defaults()}. Stateless. */
enum DefaultFailureClassifier implements FailureClassifier {
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
        || error instanceof UnknownHostException
        || HandshakeFailures.isHandshakeFailure(error)) {
      return Outcome.CONNECT_FAILURE;
    }
    if (error instanceof InterruptedIOException) {
      return Outcome.TIMEOUT;
    }
    return Outcome.SERVER_ERROR;
  }
}
