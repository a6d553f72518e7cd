package io.lb4j.examples;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * gRPC with a fixed address list ({@code static://greeter/host:port,...}; the authority, optional,
 * names the balancer in logs and metrics, and is the name TLS verifies) and an lb4j policy chosen in the
 * service config, with lb4j's outlier detection and {@code grpc.health.v1} health checks: calls
 * spread over three servers; when one reports NOT_SERVING it gets no more calls.
 */
public final class GrpcStaticExample {

  private GrpcStaticExample() {}

  /**
   * The service config: the policy and its settings. The same JSON works in a service config file
   * or a DNS TXT record; {@code defaultLoadBalancingPolicy("lb4j_p2c")} alone gives the defaults.
   */
  static final String SERVICE_CONFIG = """
      {"loadBalancingConfig": [{"lb4j_p2c": {
        "outlierDetection": {"consecutiveFailures": 5, "baseEjectionTime": "30s"},
        "healthCheck": {"interval": "0.5s", "unhealthyThreshold": 1}
      }}]}""";

  /** SERVICE_CONFIG as the map gRPC takes (numbers as doubles, as gRPC's own JSON parser gives). */
  static Map<String, ?> serviceConfig() {
    return new Gson().fromJson(SERVICE_CONFIG, new TypeToken<Map<String, Object>>() {});
  }

  /** Runs the example; exits non-zero if calls did not spread or kept reaching the NOT_SERVING server. */
  public static void main(String[] args) throws Exception {
    try (GreeterBackend a = GreeterBackend.start("a");
        GreeterBackend b = GreeterBackend.start("b");
        GreeterBackend c = GreeterBackend.start("c")) {
      String target = "static://greeter/" + a.endpoint().address() + "," + b.endpoint().address() + ","
          + c.endpoint().address();
      ManagedChannel channel = ManagedChannelBuilder.forTarget(target)
          .defaultServiceConfig(serviceConfig())
          .usePlaintext()
          .build();
      try {
        System.out.println("channel: " + target + " with lb4j_p2c");
        Check.eventually(Duration.ofSeconds(10), "every server answers",
            () -> GreeterBackend.callMany(channel, 10).size() == 3);
        System.out.println("30 calls answered by " + GreeterBackend.callMany(channel, 30));

        c.serving(false);
        System.out.println("c now answers its health checks with NOT_SERVING");
        Check.eventually(Duration.ofSeconds(10), "c gets no more calls",
            () -> !GreeterBackend.callMany(channel, 10).containsKey("c"));
        Map<String, Integer> after = GreeterBackend.callMany(channel, 30);
        System.out.println("30 calls answered by " + after);
        Check.that(after.keySet().equals(Set.of("a", "b")), "a and b answer, c does not");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
