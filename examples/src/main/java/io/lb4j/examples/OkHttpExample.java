package io.lb4j.examples;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.okhttp.HttpHealthProbe;
import io.lb4j.okhttp.Lb4jTag;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.okhttp.RetryPolicy;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * OkHttp through lb4j with outlier detection, active health checks and retries: three instances of
 * an "orders" service, one of them broken (500 to everything). Callers see no error: the broken
 * instance's failures are retried on another one, outlier detection ejects it after 5 failures in
 * a row, and the health check marks it unhealthy; after that it gets no requests at all.
 */
public final class OkHttpExample {

  private OkHttpExample() {}

  /** The balancer for the "orders" service: P2C (the default policy) plus passive and active health. */
  public static LoadBalancer ordersBalancer(List<Endpoint> endpoints) {
    return LoadBalancer.builder()
        .name("orders")                                       // in metrics and log lines
        .endpoints(endpoints)
        .outlierDetection(OutlierDetectionConfig.builder()    // passive: watches every response
            .consecutiveFailures(5)                           // eject at the 5th 5xx in a row
            .baseEjectionTime(Duration.ofSeconds(30))
            .build())
        .healthCheck(HealthCheckConfig.builder()              // active: GET /health on each instance
            .interval(Duration.ofSeconds(1))                  // default 5 s; short so the example is quick
            .unhealthyThreshold(2)
            .build(), HttpHealthProbe.builder().path("/health").build())
        .build();
  }

  /** A client that sends {@code http://orders/...} to a healthy instance and retries elsewhere. */
  public static OkHttpClient client(LoadBalancer orders) {
    return new OkHttpClient.Builder()
        .addInterceptor(LoadBalancingInterceptor.builder()
            .service("orders", orders)                        // http://orders/... goes through lb4j
            .retry(RetryPolicy.builder().maxAttempts(3).build())
            .build())
        .build();
  }

  /** Runs the example; exits non-zero if a caller saw an error or the broken instance kept getting requests. */
  public static void main(String[] args) throws Exception {
    try (HttpBackend a = HttpBackend.start("a");
        HttpBackend b = HttpBackend.start("b");
        HttpBackend c = HttpBackend.start("c");
        LoadBalancer orders = ordersBalancer(List.of(a.endpoint(), b.endpoint(), c.endpoint()))) {
      System.out.println("orders: " + List.of(a, b, c));
      OkHttpClient client = client(orders);
      Check.eventually(Duration.ofSeconds(10), "the first health checks pass",
          () -> orders.endpoints().stream().allMatch(e -> orders.status(e) == EndpointStatus.HEALTHY));
      System.out.println("15 requests: " + send(client, 15));

      c.broken(true);
      System.out.println("c now answers 500 to everything");
      Result broken = send(client, 30);
      System.out.println("30 requests: " + broken);
      Check.that(broken.failed() == 0, "retries hide the broken instance from callers");
      Check.that(broken.retried() > 0, "c's failures were retried on another instance");

      Check.eventually(Duration.ofSeconds(10), "c leaves the rotation",
          () -> orders.status(c.endpoint()) != EndpointStatus.HEALTHY);
      int before = c.requests();
      Result after = send(client, 20);
      System.out.println("c is " + orders.status(c.endpoint()) + "; 20 more requests: " + after);
      Check.that(after.failed() == 0 && c.requests() == before, "no request reaches c while it is out");

      client.dispatcher().executorService().shutdown();  // lets the JVM exit at once
      client.connectionPool().evictAll();
    }
  }

  /**
   * What callers saw.
   *
   * @param failed requests that failed after every attempt
   * @param retried requests that succeeded on a second or third attempt
   * @param answeredBy successful requests per answering instance
   */
  record Result(int failed, int retried, Map<String, Integer> answeredBy) {
    @Override
    public String toString() {
      return failed + " failed, " + retried + " succeeded on a retry, answered by " + answeredBy;
    }
  }

  /** Sends {@code n} GET requests to {@code http://orders/api/orders/<i>}. */
  static Result send(OkHttpClient client, int n) throws IOException {
    int failed = 0;
    int retried = 0;
    Map<String, Integer> answeredBy = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      Request request = new Request.Builder().url("http://orders/api/orders/" + i).build();
      try (Response response = client.newCall(request).execute()) {
        if (!response.isSuccessful()) {
          failed++;
          continue;
        }
        Lb4jTag tag = response.request().tag(Lb4jTag.class); // the answering attempt: endpoint and number
        retried += tag.attempt() > 1 ? 1 : 0;
        answeredBy.merge(response.header("X-Served-By"), 1, Integer::sum);
      }
    }
    return new Result(failed, retried, answeredBy);
  }
}
