package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.LoadBalancer;
import io.lb4j.testing.PrometheusAlerts;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/**
 * The README's Lb4jRetryBudgetExhausted rule against a real Prometheus scrape: real loopback
 * backends answer 503, the interceptor retries until its budget is spent, and the rule fires for
 * that balancer only (a healthy one shares the registry). The other rules are checked in lb4j-core.
 */
class OperatingAlertsTest {

  @Test
  void retryBudgetExhausted() throws Exception {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Backends failing = new Backends(2);
        Backends healthy = new Backends(1);
        LoadBalancer orders = LoadBalancer.builder().name("orders").endpoints(failing.endpoints())
            .meterRegistry(prometheus).build();
        LoadBalancer users = LoadBalancer.builder().name("users").endpoints(healthy.endpoints())
            .meterRegistry(prometheus).build()) {
      failing.codes.forEach(c -> c.set(503));
      // A floor of 1 retry per second over the 10 s window: 10 retries, then the budget is spent.
      RetryPolicy retry = RetryPolicy.builder().maxAttempts(3).backoff(Duration.ZERO, Duration.ZERO)
          .budget(() -> RetryBudget.builder().minRetriesPerSecond(1).percentCanRetry(0).build()).build();
      OkHttpClient client = new OkHttpClient.Builder().addInterceptor(LoadBalancingInterceptor.builder()
              .service("orders", orders).service("users", users).retry(retry).meterRegistry(prometheus).build())
          .retryOnConnectionFailure(false).callTimeout(Duration.ofSeconds(10)).build();
      PrometheusAlerts.Rule rule = PrometheusAlerts.rule("Lb4jRetryBudgetExhausted");
      String before = prometheus.scrape();

      for (int i = 0; i < 20; i++) {
        for (String service : new String[] {"orders", "users"}) {
          try (Response r = client.newCall(new Request.Builder().url("http://" + service + "/x").build()).execute()) {
            assertEquals(service.equals("orders") ? 503 : 200, r.code());
          }
        }
      }

      assertEquals(Map.of(), PrometheusAlerts.firing(rule, before), "quiet before");
      Map<Map<String, String>, Double> firing = PrometheusAlerts.firing(rule, before, prometheus.scrape());
      assertEquals(Set.of(Map.of("lb", "orders")), firing.keySet(), firing::toString);
      assertTrue(firing.get(Map.of("lb", "orders")) >= 10, "20 requests, 10 retries allowed: " + firing);
    }
  }
}
