package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.ManualSource;
import io.lb4j.testing.PrometheusAlerts;
import io.lb4j.testing.PrometheusAlerts.Rule;
import io.lb4j.testing.PrometheusAlerts.Series;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's alert rules (section "Operating lb4j") against a real Prometheus scrape: each
 * condition is driven through the balancer, the registry scraped before and after, and the rule's
 * expression evaluated on the scraped series. A healthy second balancer on the same registry must
 * never fire. Lb4jRetryBudgetExhausted is checked in lb4j-okhttp, Lb4jDiscoveryStale also against
 * dnsmasq in {@code DnsEndpointSourceTest}.
 */
class OperatingAlertsTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  /**
   * Builds the balancer "orders" on the registry, set up by {@code setup}, beside a healthy one
   * ("users"): an alert must name only the one in trouble.
   */
  private LoadBalancer orders(UnaryOperator<LoadBalancer.Builder> setup) {
    lbs.build(lbs.builder("users").endpointSource(new ManualSource(Balancers.endpoints(40_000, 3)))
        .meterRegistry(prometheus).outlierDetection(OutlierDetectionConfig.defaults()));
    return lbs.build(setup.apply(lbs.builder("orders").meterRegistry(prometheus)));
  }

  private static void assertFiresFor(String lb, Rule rule, String before, String after) {
    assertEquals(Map.of(), PrometheusAlerts.firing(rule, before), rule.alert() + " quiet before");
    Map<Map<String, String>, Double> firing = PrometheusAlerts.firing(rule, before, after);
    assertEquals(Set.of(Map.of("lb", lb)), firing.keySet(), rule.alert() + " fires for " + lb + " only: " + firing);
  }

  @Test
  void theReadmeHasTheFiveAlerts() {
    assertEquals(List.of("Lb4jNoEndpointAvailable", "Lb4jPanic", "Lb4jEndpointEjected", "Lb4jRetryBudgetExhausted",
        "Lb4jDiscoveryStale"), List.copyOf(PrometheusAlerts.readme().keySet()));
  }

  @Test
  void noEndpointAvailable() {
    LoadBalancer lb = orders(b -> b.endpoints(Balancers.endpoints(30_000, 1)));
    String before = prometheus.scrape();
    lb.drain(lb.endpoints().get(0));
    assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertFiresFor("orders", PrometheusAlerts.rule("Lb4jNoEndpointAvailable"), before, prometheus.scrape());
  }

  @Test
  void panic() {
    List<Endpoint> two = Balancers.endpoints(30_000, 2);
    LoadBalancer lb = orders(b -> b.endpoints(two)
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100).build()));
    String before = prometheus.scrape();
    lbs.release(lb, two.get(0), Outcome.SERVER_ERROR, 5);
    lbs.record(lb, two.get(1), Outcome.SERVER_ERROR, 5);
    assertEquals(true, lb.inPanic());
    assertFiresFor("orders", PrometheusAlerts.rule("Lb4jPanic"), before, prometheus.scrape());
  }

  @Test
  void endpointEjected() {
    List<Endpoint> four = Balancers.endpoints(30_000, 4);
    LoadBalancer lb = orders(b -> b.endpoints(four).outlierDetection(OutlierDetectionConfig.defaults()));
    String before = prometheus.scrape();
    lbs.release(lb, four.get(2), Outcome.SERVER_ERROR, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(four.get(2)));
    assertEquals(false, lb.inPanic());
    String after = prometheus.scrape();
    assertFiresFor("orders", PrometheusAlerts.rule("Lb4jEndpointEjected"), before, after);
    assertEquals(Map.of(), PrometheusAlerts.firing(PrometheusAlerts.rule("Lb4jPanic"), after), "one of four: no panic");
  }

  @Test
  void discoveryStale() {
    ManualSource source = new ManualSource(Balancers.endpoints(30_000, 2));
    LoadBalancer lb = orders(b -> b.endpointSource(source));
    Rule stale = PrometheusAlerts.rule("Lb4jDiscoveryStale");
    lbs.clock.forward(Duration.ofHours(2));
    String before = prometheus.scrape();
    source.fail(new IllegalStateException("registry unreachable"));
    lbs.clock.forward(Duration.ofSeconds(299));
    assertEquals(Map.of(), PrometheusAlerts.firing(stale, prometheus.scrape()), "failing for 299 s: not yet");
    lbs.clock.forward(Duration.ofSeconds(2));
    source.fail(new IllegalStateException("registry unreachable"));
    assertFiresFor("orders", stale, before, prometheus.scrape());
    source.deliver(lb.endpoints());
    assertEquals(Map.of(), PrometheusAlerts.firing(stale, prometheus.scrape()), "resolved by the next list");
  }

  @Test
  void perEndpointMetersCostNineSeriesPerEndpointAndAggregateOnesNinePerBalancer() {
    // Both modes on one Prometheus registry, which needs one set of label names per metric name.
    List<Endpoint> three = Balancers.endpoints(30_000, 3);
    LoadBalancer perEndpoint = lbs.build(lbs.builder("orders").endpoints(three).meterRegistry(prometheus));
    LoadBalancer aggregate = lbs.build(lbs.builder("users").endpoints(three).meterRegistry(prometheus)
        .perEndpointMetrics(false));
    for (LoadBalancer lb : List.of(perEndpoint, aggregate)) {
      for (int i = 0; i < 6; i++) {
        Balancers.pickAndRelease(lb);
      }
    }
    Map<Series, Double> series = PrometheusAlerts.parse(prometheus.scrape());
    for (Endpoint e : three) {
      assertEquals(9, series.keySet().stream().filter(s -> e.address().equals(s.labels().get("endpoint"))).count(),
          e + ": " + series.keySet().stream().filter(s -> e.address().equals(s.labels().get("endpoint"))).toList());
    }
    assertEquals(9, series.keySet().stream().filter(s -> s.labels().get("lb").equals("users")
        && s.name().matches("lb4j_(requests_total|inflight|request_latency_seconds_(count|sum|max))")).count());
    assertEquals(0, series.keySet().stream().filter(s -> s.labels().get("lb").equals("users")
        && s.labels().containsKey("endpoint")).count(), "no endpoint label (it is empty, which Prometheus drops)");
    assertEquals(6.0, series.get(new Series("lb4j_requests_total",
        Map.of("lb", "users", "policy", "test-rr", "outcome", "success"))), "the sum over the three endpoints");
    assertEquals(8, series.keySet().stream().filter(s -> s.labels().get("lb").equals("users")
        && !s.name().matches("lb4j_(requests_total|inflight|request_latency_seconds_(count|sum|max))")).count(),
        "8 balancer-wide series without optional features (6 statuses, panic, no endpoint)");
  }

  @Test
  void everyOptionalFeatureAddsItsBalancerWideSeries() {
    LoadBalancer lb = lbs.build(lbs.builder("orders").endpointSource(new ManualSource(Balancers.endpoints(30_000, 2)))
        .meterRegistry(prometheus).perEndpointMetrics(false).localZone("eu-1a")
        .outlierDetection(OutlierDetectionConfig.defaults())
        .healthCheck(HealthCheckConfig.defaults(), e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok"))));
    assertEquals(2, lb.endpoints().size());
    long balancerWide = PrometheusAlerts.parse(prometheus.scrape()).keySet().stream()
        .filter(s -> !s.name().matches("lb4j_(requests_total|inflight|request_latency_seconds_(count|sum|max))"))
        .count();
    assertEquals(20, balancerWide,
        "8 + 4 ejection reasons + 3 probe results + 3 discovery + 2 zone (spillover, requests to the one zone)");
  }
}
