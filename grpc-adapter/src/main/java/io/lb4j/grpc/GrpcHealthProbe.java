package io.lb4j.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.lb4j.Endpoint;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link HealthProbe} that asks the standard {@code grpc.health.v1.Health/Check} RPC.
 *
 * <p>{@code SERVING} is healthy; {@code NOT_SERVING} is draining (the server asks for no new
 * traffic); {@code SERVICE_UNKNOWN}, {@code UNKNOWN} and failed RPCs are unhealthy. A server that
 * does not implement the health service ({@code UNIMPLEMENTED}) counts as healthy, since it answered,
 * and this is logged once per probe instance. Each RPC carries a deadline of the given timeout.
 *
 * <p>The {@code lb4j_*} gRPC policies create one automatically for the {@code healthCheck} config;
 * applications can use it with a plain {@link io.lb4j.LoadBalancer} too. Thread-safe.
 *
 * <p>It owns nothing to close: the channels belong to whoever supplies them (the {@code lb4j_*}
 * policies shut down their per-endpoint health channels with the subchannels), so {@link #close()}
 * is the default no-op.
 */
public final class GrpcHealthProbe implements HealthProbe {

  private static final Logger log = LoggerFactory.getLogger(GrpcHealthProbe.class);

  private final Function<Endpoint, ? extends Channel> channels;
  private final HealthCheckRequest request;
  private final Duration timeout;
  private final AtomicBoolean unimplementedLogged = new AtomicBoolean();

  /**
   * @param channels the channel to probe each endpoint over; may return null for an endpoint it
   *     does not know (probe then fails)
   * @param service the health service name; {@code ""} asks about the whole server
   * @param timeout deadline of each RPC, positive
   * @throws IllegalArgumentException if an argument is null or the timeout is not positive
   */
  public GrpcHealthProbe(Function<Endpoint, ? extends Channel> channels, String service, Duration timeout) {
    if (channels == null) {
      throw new IllegalArgumentException("channels must not be null");
    }
    if (service == null) {
      throw new IllegalArgumentException("service must not be null (use \"\" for the whole server)");
    }
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be a positive duration, was " + timeout);
    }
    this.channels = channels;
    this.request = HealthCheckRequest.newBuilder().setService(service).build();
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    Channel channel = channels.apply(endpoint);
    if (channel == null) {
      return CompletableFuture.completedFuture(ProbeResult.unhealthy("no channel to " + endpoint.address()));
    }
    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
    ClientCall<HealthCheckRequest, HealthCheckResponse> call = channel.newCall(HealthGrpc.getCheckMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS));
    call.start(new ClientCall.Listener<>() {
      private HealthCheckResponse response;

      @Override
      public void onMessage(HealthCheckResponse message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        result.complete(verdict(endpoint, status, response));
      }
    }, new Metadata());
    call.sendMessage(request);
    call.halfClose();
    call.request(2);
    return result;
  }

  private ProbeResult verdict(Endpoint endpoint, Status status, HealthCheckResponse response) {
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      if (unimplementedLogged.compareAndSet(false, true)) {
        log.info("{} does not implement grpc.health.v1.Health; treating such servers as healthy", endpoint.address());
      }
      return ProbeResult.healthy("health service not implemented");
    }
    if (!status.isOk()) {
      // A TLS failure is only in the cause (e.g. "No name matching orders.internal found"): say it.
      Throwable cause = status.getCause();
      return ProbeResult.unhealthy("health check " + status.getCode()
          + (status.getDescription() == null ? "" : ": " + status.getDescription())
          + (cause == null ? "" : "; " + cause.getClass().getSimpleName() + ": " + rootMessage(cause)));
    }
    if (response == null) {
      return ProbeResult.unhealthy("health check returned no response");
    }
    return switch (response.getStatus()) {
      case SERVING -> ProbeResult.healthy("SERVING");
      case NOT_SERVING -> ProbeResult.draining("NOT_SERVING");
      default -> ProbeResult.unhealthy(response.getStatus().name());
    };
  }

  /** The deepest message in the cause chain: where TLS says which name the certificate lacked. */
  private static String rootMessage(Throwable e) {
    String message = e.getMessage();
    for (Throwable t = e.getCause(); t != null && t != e; t = t.getCause()) {
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
      e = t;
    }
    return message;
  }

  @Override
  public String toString() {
    return "GrpcHealthProbe{service='" + request.getService() + "', timeout=" + timeout + "}";
  }
}
