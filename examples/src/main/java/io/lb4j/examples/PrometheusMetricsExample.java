package io.lb4j.examples;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.LoadBalancer;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.okhttp.RetryPolicy;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * lb4j's metrics in Prometheus' text format: the balancer and the OkHttp interceptor register
 * their meters in a Micrometer {@link PrometheusMeterRegistry}, an HTTP endpoint serves
 * {@code /metrics}, and the example scrapes it as Prometheus would and prints the {@code lb4j_}
 * series: requests by endpoint and outcome, latency, in-flight counts, endpoints by status,
 * ejections and retries.
 */
public final class PrometheusMetricsExample {

  private PrometheusMetricsExample() {}

  /** Runs the example; exits non-zero if the scrape lacks the series the calls must have made. */
  public static void main(String[] args) throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpServer metrics = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    metrics.createContext("/metrics", exchange -> {           // what Prometheus scrapes
      try (exchange) {
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    metrics.start();
    OkHttpClient scraper = new OkHttpClient();
    try (HttpBackend a = HttpBackend.start("a");
        HttpBackend b = HttpBackend.start("b");
        HttpBackend c = HttpBackend.start("c").broken(true);
        LoadBalancer orders = LoadBalancer.builder().name("orders")
            .endpoints(List.of(a.endpoint(), b.endpoint(), c.endpoint()))
            .outlierDetection(OutlierDetectionConfig.defaults())
            .meterRegistry(registry)                       // lb4j.requests, lb4j.request.latency, ...
            .build()) {
      OkHttpClient client = new OkHttpClient.Builder()
          .addInterceptor(LoadBalancingInterceptor.builder()
              .service("orders", orders)
              .retry(RetryPolicy.builder().maxAttempts(3).build())
              .meterRegistry(registry)                     // lb4j.retries, lb4j.retry.budget.exhausted
              .build())
          .build();
      for (int i = 0; i < 40; i++) {
        try (Response response = client.newCall(new Request.Builder().url("http://orders/api/orders/" + i).build())
            .execute()) {
          Check.that(response.isSuccessful(), "request " + i + " succeeds (c's failures are retried)");
        }
      }

      String url = "http://127.0.0.1:" + metrics.getAddress().getPort() + "/metrics";
      String scrape;
      try (Response response = scraper.newCall(new Request.Builder().url(url).build()).execute()) {
        scrape = response.body().string();
      }
      System.out.println("40 requests to orders (a, b, c; c answers 500); GET " + url + " shows:");
      scrape.lines().filter(l -> l.startsWith("lb4j_")).forEach(System.out::println);

      String success = "lb4j_requests_total{endpoint=\"" + a.endpoint().address() + "\",lb=\"orders\",outcome=\"success\"";
      Check.that(scrape.contains(success), "a success count for a: " + success);
      Check.that(scrape.contains("outcome=\"server_error\""), "c's 500s counted as server_error");
      Check.that(scrape.contains("lb4j_retries_total"), "retries counted");
      Check.that(scrape.contains("lb4j_endpoints{lb=\"orders\""), "endpoints by status");
      Check.that(scrape.contains("lb4j_request_latency_seconds_count"), "a latency timer per endpoint");

      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    } finally {
      metrics.stop(0);
      scraper.dispatcher().executorService().shutdown();
      scraper.connectionPool().evictAll();
    }
  }
}
