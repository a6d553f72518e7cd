package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.NameResolverRegistry;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.MaglevPolicy;
import io.lb4j.policy.PeakEwmaPolicy;
import io.lb4j.policy.RingHashPolicy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigParsingTest {

  private static final Set<String> NAMES = Set.of("lb4j_random", "lb4j_round_robin", "lb4j_weighted_round_robin",
      "lb4j_p2c", "lb4j_least_request", "lb4j_peak_ewma", "lb4j_ring_hash", "lb4j_maglev");

  private static Lb4jConfig ok(LoadBalancerProvider p, Map<String, ?> json) {
    ConfigOrError c = p.parseLoadBalancingPolicyConfig(json);
    assertNull(c.getError(), () -> "unexpected error " + c.getError());
    return (Lb4jConfig) c.getConfig();
  }

  @Test
  void everyPolicyIsRegisteredThroughServiceLoader() {
    LoadBalancerRegistry registry = LoadBalancerRegistry.getDefaultRegistry();
    for (String name : NAMES) {
      LoadBalancerProvider p = registry.getProvider(name);
      assertNotNull(p, name);
      assertEquals(name, p.getPolicyName());
    }
    Lb4jGrpc.registerAll();
    Lb4jGrpc.registerAll();
    assertEquals(NAMES.size(), Lb4jGrpc.providers().size());
    assertNotNull(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("static"));
    assertEquals("dns", NameResolverRegistry.getDefaultRegistry().getDefaultScheme(), "dns stays the default scheme");
  }

  @Test
  void nullAndEmptyConfigMeanDefaults() {
    for (LoadBalancerProvider p : Lb4jGrpc.providers()) {
      for (Map<String, ?> json : java.util.Arrays.<Map<String, ?>>asList(null, Map.of())) {
        Lb4jConfig c = ok(p, json);
        assertEquals(0.5, c.panicThreshold());
        assertEquals(Duration.ZERO, c.slowStartWindow());
        assertNull(c.outlierDetection());
        assertNull(c.healthCheck());
        assertNull(c.hashHeader());
      }
    }
  }

  @Test
  void readsEveryKeyIncludingA50Aliases() {
    Map<String, Object> od = new HashMap<>();
    od.put("consecutiveFailures", 3.0);
    od.put("consecutiveLocalFailures", 4.0);
    od.put("interval", "0.25s");
    od.put("baseEjectionTime", "1s");
    od.put("maxEjectionTime", "20s");
    od.put("maxEjectionPercentage", 40.0);
    od.put("successRateEjection", Map.of("stdevFactor", 1500.0, "enforcementPercentage", 90.0,
        "minimumHosts", 3.0, "requestVolume", 20.0));
    od.put("failurePercentageEjection", Map.of("threshold", 70.0, "enforcementPercentage", 80.0,
        "minimumHosts", 2.0, "requestVolume", 10.0));
    Map<String, ?> json = Map.of("outlierDetection", od,
        "healthCheck", Map.of("interval", "2s", "timeout", "0.5s", "unhealthyThreshold", 2.0,
            "healthyThreshold", 1.0, "jitter", 0.2, "service", "orders"),
        "panicThreshold", 0.25, "slowStartWindow", "30s", "hashHeader", "x-user-id", "tableSize", 251.0);
    Lb4jConfig c = ok(new Lb4jLoadBalancerProvider.Maglev(), json);
    OutlierDetectionConfig o = c.outlierDetection();
    assertEquals(3, o.consecutiveFailures());
    assertEquals(4, o.consecutiveLocalFailures());
    assertEquals(Duration.ofMillis(250), o.interval());
    assertEquals(Duration.ofSeconds(1), o.baseEjectionTime());
    assertEquals(Duration.ofSeconds(20), o.maxEjectionTime());
    assertEquals(40, o.maxEjectionPercent());
    assertEquals(1.5, o.successRateStdevFactor(), 1e-9);
    assertEquals(90, o.successRateEnforcementPercentage());
    assertEquals(3, o.successRateMinimumHosts());
    assertEquals(20, o.successRateRequestVolume());
    assertEquals(70, o.failurePercentageThreshold());
    assertEquals(80, o.failurePercentageEnforcementPercentage());
    assertEquals(2, o.failurePercentageMinimumHosts());
    assertEquals(10, o.failurePercentageRequestVolume());
    assertEquals(Duration.ofSeconds(2), c.healthCheck().interval());
    assertEquals(Duration.ofMillis(500), c.healthCheck().timeout());
    assertEquals(2, c.healthCheck().unhealthyThreshold());
    assertEquals(1, c.healthCheck().healthyThreshold());
    assertEquals(0.2, c.healthCheck().jitter());
    assertEquals("orders", c.healthService());
    assertEquals(0.25, c.panicThreshold());
    assertEquals(Duration.ofSeconds(30), c.slowStartWindow());
    assertEquals("x-user-id", c.hashHeader().name());
    assertTrue(c.hashing());
    assertEquals(c, ok(new Lb4jLoadBalancerProvider.Maglev(), new HashMap<>(json)), "equal JSON, equal config");

    Map<String, Object> builderNames = new HashMap<>();
    builderNames.put("maxEjectionPercent", 30.0);
    builderNames.put("successRateStdevFactor", 2.5);
    builderNames.put("failurePercentageThreshold", 60.0);
    OutlierDetectionConfig b = ok(new Lb4jLoadBalancerProvider.PowerOfTwoChoices(), Map.of("outlierDetection", builderNames))
        .outlierDetection();
    assertEquals(30, b.maxEjectionPercent());
    assertEquals(2.5, b.successRateStdevFactor());
    assertEquals(60, b.failurePercentageThreshold());
  }

  /** Every optional key may be JSON null, at every level, and then means absent (gRPC's convention). */
  @Test
  void nullMeansAbsentForEveryKey() {
    Set<String> policyKeys = Set.of("tableSize", "minRingSize", "maxRingSize", "choiceCount", "activeRequestBias",
        "hashHeader", "hashBalanceFactor", "ringMode", "entriesPerWeight", "decay");
    for (LoadBalancerProvider p : Lb4jGrpc.providers()) {
      Map<String, Object> json = new HashMap<>();
      for (String key : policyKeys) {
        if (!p.parseLoadBalancingPolicyConfig(Map.of(key, "?")).getError().getDescription().contains("unknown key")) {
          json.put(key, null); // a key of this policy (it got past the unknown-key check)
        }
      }
      for (String key : ConfigParser.SHARED_KEYS) {
        json.put(key, null);
      }
      Lb4jConfig nulls = ok(p, json);
      assertEquals(ok(p, Map.of()), nulls, () -> p.getPolicyName() + " " + json);
      assertEquals(0.5, nulls.panicThreshold());
      assertNull(nulls.outlierDetection());
      assertNull(nulls.healthCheck());
      assertNull(nulls.hashHeader());
    }
    Map<String, Object> od = new HashMap<>();
    for (String key : List.of("consecutiveFailures", "interval", "baseEjectionTime", "maxEjectionTime",
        "maxEjectionPercent", "maxEjectionPercentage", "successRateStdevFactor", "successRateEjection")) {
      od.put(key, null);
    }
    Map<String, Object> fp = new HashMap<>();
    fp.put("threshold", null);
    fp.put("requestVolume", 7.0);
    od.put("failurePercentageEjection", fp);
    Map<String, Object> hc = new HashMap<>();
    for (String key : List.of("interval", "timeout", "unhealthyThreshold", "healthyThreshold", "jitter", "service")) {
      hc.put(key, null);
    }
    Lb4jConfig c = ok(new Lb4jLoadBalancerProvider.LeastRequest(), Map.of("outlierDetection", od, "healthCheck", hc));
    OutlierDetectionConfig o = c.outlierDetection();
    assertEquals(Duration.ofSeconds(10), o.interval());
    assertEquals(85, o.failurePercentageThreshold());
    assertEquals(7, o.failurePercentageRequestVolume());
    assertEquals(Duration.ofSeconds(5), c.healthCheck().interval());
    assertEquals("", c.healthService());
  }

  /**
   * A duration within JSON's range but past lb4j's 10,000 days parses and is clamped; one past
   * google.protobuf.Duration's range (10,000 years) is refused, as gRPC refuses it.
   */
  @Test
  void longDurationsAreClampedUpToProtobufsLimit() {
    Lb4jConfig c = ok(new Lb4jLoadBalancerProvider.PowerOfTwoChoices(), Map.of(
        "outlierDetection", Map.of("baseEjectionTime", "315576000000s", "maxEjectionTime", "315576000000s",
            "interval", "864000001.5s"),
        "healthCheck", Map.of("interval", "315576000000s", "timeout", "315576000000s"),
        "slowStartWindow", "315576000000s"));
    Duration max = Duration.ofDays(10_000);
    assertEquals(max, c.outlierDetection().baseEjectionTime());
    assertEquals(max, c.outlierDetection().maxEjectionTime());
    assertEquals(max, c.outlierDetection().interval());
    assertEquals(max, c.healthCheck().interval());
    assertEquals(max, c.healthCheck().timeout());
    // the window is clamped where the balancer is built
    assertEquals(Duration.ofSeconds(315_576_000_000L), c.slowStartWindow());
    String d = new Lb4jLoadBalancerProvider.PowerOfTwoChoices()
        .parseLoadBalancingPolicyConfig(Map.of("slowStartWindow", "315576000001s")).getError().getDescription();
    assertTrue(d.contains("slowStartWindow") && d.contains("315576000001s") && d.contains("out of range"), d);
  }

  /** A refused duration's message names the key, the value and the accepted range. */
  @Test
  void refusedDurationSaysTheRange() {
    String d = new Lb4jLoadBalancerProvider.PowerOfTwoChoices()
        .parseLoadBalancingPolicyConfig(Map.of("outlierDetection", Map.of("interval", "0.0005s")))
        .getError().getDescription();
    assertEquals("lb4j_p2c config: outlierDetection.interval: interval must be a duration in 0.001s..864000000s"
        + " (longer ones are clamped), was 0.0005s", d);
  }

  @Test
  void hashPoliciesTakeABalanceFactorAndTheRingAMode() {
    MaglevPolicy maglev = (MaglevPolicy) ok(new Lb4jLoadBalancerProvider.Maglev(),
        Map.of("hashBalanceFactor", 1.25, "tableSize", 251.0)).policy();
    assertEquals(1.25, maglev.hashBalanceFactor());
    assertEquals(251, maglev.tableSize());
    assertEquals(0.0, ((MaglevPolicy) ok(new Lb4jLoadBalancerProvider.Maglev(), Map.of()).policy()).hashBalanceFactor());

    LoadBalancerProvider ring = new Lb4jLoadBalancerProvider.RingHash();
    RingHashPolicy envoy = (RingHashPolicy) ok(ring, Map.of("hashBalanceFactor", 2.0, "minRingSize", 4096.0)).policy();
    assertEquals(2.0, envoy.hashBalanceFactor());
    assertEquals(4096, envoy.minRingSize());
    assertTrue(!envoy.stable());
    assertTrue(!((RingHashPolicy) ok(ring, Map.of("ringMode", "envoy")).policy()).stable());
    RingHashPolicy stable = (RingHashPolicy) ok(ring, Map.of("ringMode", "stable")).policy();
    assertEquals(160, stable.entriesPerWeight());
    assertEquals(0.0, stable.hashBalanceFactor());
    stable = (RingHashPolicy) ok(ring, Map.of("ringMode", "stable", "entriesPerWeight", 400.0,
        "hashBalanceFactor", 1.5)).policy();
    assertEquals(400, stable.entriesPerWeight());
    assertEquals(1.5, stable.hashBalanceFactor());
  }

  @Test
  void peakEwmaTakesADecayDuration() {
    LoadBalancerProvider peak = new Lb4jLoadBalancerProvider.PeakEwma();
    assertEquals("lb4j_peak_ewma", peak.getPolicyName());
    PeakEwmaPolicy dflt = (PeakEwmaPolicy) ok(peak, Map.of()).policy();
    assertEquals(Duration.ofSeconds(10), dflt.decay(), "Finagle's default");
    assertTrue(dflt.usesLatency());
    Lb4jConfig c = ok(peak, Map.of("decay", "2.5s", "panicThreshold", 0.3,
        "outlierDetection", Map.of("consecutiveFailures", 3.0)));
    assertEquals(Duration.ofMillis(2_500), ((PeakEwmaPolicy) c.policy()).decay());
    assertEquals(0.3, c.panicThreshold(), "shared keys too");
    assertEquals(3, c.outlierDetection().consecutiveFailures());
    assertEquals("lb4j_peak_ewma config: decay: decay must be a duration in 0.001s..864000000s (longer ones are "
        + "clamped), was 0.0001s", peak.parseLoadBalancingPolicyConfig(Map.of("decay", "0.0001s")).getError()
        .getDescription());
  }

  @Test
  void percentFormBalanceFactorIsRefusedWithAHint() {
    ConfigOrError c = new Lb4jLoadBalancerProvider.Maglev().parseLoadBalancingPolicyConfig(
        Map.of("hashBalanceFactor", 150.0));
    assertEquals("lb4j_maglev config: hashBalanceFactor: hashBalanceFactor must be in 1.0..10.0, e.g. 1.25 for 125 % "
        + "of the average load (a factor, not Envoy's percent: Envoy's 150 is 1.5 here), was 150.0",
        c.getError().getDescription());
  }

  /** (provider, config, key that the error must name). */
  static List<Object[]> badConfigs() {
    LoadBalancerProvider p2c = new Lb4jLoadBalancerProvider.PowerOfTwoChoices();
    LoadBalancerProvider maglev = new Lb4jLoadBalancerProvider.Maglev();
    LoadBalancerProvider ring = new Lb4jLoadBalancerProvider.RingHash();
    LoadBalancerProvider lr = new Lb4jLoadBalancerProvider.LeastRequest();
    LoadBalancerProvider peak = new Lb4jLoadBalancerProvider.PeakEwma();
    Map<String, Object> unknownNull = new HashMap<>();
    unknownNull.put("bogus", null);
    return List.of(
        new Object[] {p2c, unknownNull, "bogus"},
        new Object[] {p2c, Map.of("outlierDetection", unknownNull), "outlierDetection.bogus"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("interval", "0.0005s")), "outlierDetection.interval"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("baseEjectionTime", "99999999999999999s")),
            "outlierDetection.baseEjectionTime"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("maxEjectionTime", "315576000001s")),
            "outlierDetection.maxEjectionTime"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("successRateEjection", Map.of("stdevFactor", 0.0))),
            "outlierDetection.successRateEjection.stdevFactor"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("successRateStdevFactor", -1.0)),
            "outlierDetection.successRateStdevFactor"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("interval", "99999999999999999s")), "healthCheck.interval"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("interval", "0.0001s")), "healthCheck.interval"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("timeout", "0.000999999s")), "healthCheck.timeout"},
        new Object[] {p2c, Map.of("slowStartWindow", "0.0005s"), "slowStartWindow"},
        new Object[] {p2c, Map.of("slowStartWindow", "99999999999999999s"), "slowStartWindow"},
        new Object[] {p2c, Map.of("panicThreshold", -0.1), "panicThreshold"},
        new Object[] {lr, Map.of("choiceCount", 1.0), "choiceCount"},
        new Object[] {lr, Map.of("activeRequestBias", -1.0), "activeRequestBias"},
        new Object[] {ring, Map.of("minRingSize", 2048.0, "maxRingSize", 1024.0), "minRingSize"},
        new Object[] {ring, Map.of("maxRingSize", 1e9), "maxRingSize"},
        new Object[] {maglev, Map.of("tableSize", 65536.0), "tableSize"},
        new Object[] {p2c, Map.of("bogus", 1.0), "bogus"},
        new Object[] {p2c, Map.of("tableSize", 251.0), "tableSize"},
        new Object[] {p2c, Map.of("hashHeader", "x-user"), "hashHeader"},
        new Object[] {p2c, Map.of("panicThreshold", "half"), "panicThreshold"},
        new Object[] {p2c, Map.of("panicThreshold", 1.5), "panicThreshold"},
        new Object[] {p2c, Map.of("slowStartWindow", "-1s"), "slowStartWindow"},
        new Object[] {p2c, Map.of("slowStartWindow", 30.0), "slowStartWindow"},
        new Object[] {p2c, Map.of("slowStartWindow", "30"), "slowStartWindow"},
        new Object[] {p2c, Map.of("outlierDetection", 5.0), "outlierDetection"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("bogus", 1.0)), "outlierDetection.bogus"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("consecutiveFailures", 0.0)), "outlierDetection.consecutiveFailures"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("consecutiveFailures", 2.5)), "outlierDetection.consecutiveFailures"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("consecutiveFailures", "5")), "outlierDetection.consecutiveFailures"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("interval", "0s")), "outlierDetection.interval"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("interval", "10ms")), "outlierDetection.interval"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("maxEjectionPercentage", 101.0)), "outlierDetection.maxEjectionPercentage"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("baseEjectionTime", "60s", "maxEjectionTime", "30s")), "outlierDetection"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("successRateEjection", 1.0)), "outlierDetection.successRateEjection"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("successRateEjection", Map.of("stdevFactor", "x"))),
            "outlierDetection.successRateEjection.stdevFactor"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("successRateEjection", Map.of("bogus", 1.0))),
            "outlierDetection.successRateEjection.bogus"},
        new Object[] {p2c, Map.of("outlierDetection", Map.of("failurePercentageEjection", Map.of("threshold", 101.0))),
            "outlierDetection.failurePercentageEjection.threshold"},
        new Object[] {p2c, Map.of("healthCheck", "yes"), "healthCheck"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("service", 5.0)), "healthCheck.service"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("timeout", "0s")), "healthCheck.timeout"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("jitter", 2.0)), "healthCheck.jitter"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("unhealthyThreshold", 0.0)), "healthCheck.unhealthyThreshold"},
        new Object[] {p2c, Map.of("healthCheck", Map.of("bogus", true)), "healthCheck.bogus"},
        new Object[] {maglev, Map.of("tableSize", 1.5), "tableSize"},
        new Object[] {maglev, Map.of("tableSize", "big"), "tableSize"},
        new Object[] {maglev, Map.of("hashHeader", 5.0), "hashHeader"},
        new Object[] {maglev, Map.of("hashHeader", "x-key-bin"), "hashHeader"},
        new Object[] {maglev, Map.of("hashHeader", "bad header"), "hashHeader"},
        new Object[] {maglev, Map.of("minRingSize", 10.0), "minRingSize"},
        new Object[] {ring, Map.of("minRingSize", "small"), "minRingSize"},
        new Object[] {ring, Map.of("tableSize", 251.0), "tableSize"},
        new Object[] {maglev, Map.of("hashBalanceFactor", 150.0), "hashBalanceFactor"},
        new Object[] {maglev, Map.of("hashBalanceFactor", 0.0), "hashBalanceFactor"},
        new Object[] {maglev, Map.of("hashBalanceFactor", 0.99), "hashBalanceFactor"},
        new Object[] {maglev, Map.of("hashBalanceFactor", 1.255), "hashBalanceFactor"},
        new Object[] {maglev, Map.of("hashBalanceFactor", "1.25"), "hashBalanceFactor"},
        new Object[] {maglev, Map.of("hashBalanceFactor", 1.25, "tableSize", 250.0), "tableSize"},
        new Object[] {maglev, Map.of("ringMode", "stable"), "ringMode"},
        new Object[] {ring, Map.of("hashBalanceFactor", 10.5), "hashBalanceFactor"},
        new Object[] {ring, Map.of("hashBalanceFactor", 1.25, "minRingSize", 0.0), "minRingSize"},
        new Object[] {ring, Map.of("ringMode", "ketama"), "ringMode"},
        new Object[] {ring, Map.of("ringMode", 1.0), "ringMode"},
        new Object[] {ring, Map.of("ringMode", "stable", "minRingSize", 1024.0), "minRingSize"},
        new Object[] {ring, Map.of("ringMode", "stable", "maxRingSize", 4096.0), "maxRingSize"},
        new Object[] {ring, Map.of("ringMode", "stable", "entriesPerWeight", 0.0), "entriesPerWeight"},
        new Object[] {ring, Map.of("ringMode", "stable", "entriesPerWeight", 10_001.0), "entriesPerWeight"},
        new Object[] {ring, Map.of("ringMode", "stable", "hashBalanceFactor", 0.5), "hashBalanceFactor"},
        new Object[] {ring, Map.of("entriesPerWeight", 160.0), "entriesPerWeight"},
        new Object[] {peak, Map.of("decay", "0s"), "decay"},
        new Object[] {peak, Map.of("decay", "-1s"), "decay"},
        new Object[] {peak, Map.of("decay", 10.0), "decay"},
        new Object[] {peak, Map.of("decay", "10"), "decay"},
        new Object[] {peak, Map.of("decay", "315576000001s"), "decay"},
        new Object[] {peak, Map.of("choiceCount", 2.0), "choiceCount"},
        new Object[] {p2c, Map.of("decay", "10s"), "decay"},
        new Object[] {lr, Map.of("choiceCount", 2.5), "choiceCount"},
        new Object[] {lr, Map.of("activeRequestBias", "high"), "activeRequestBias"});
  }

  @ParameterizedTest
  @MethodSource("badConfigs")
  void badConfigIsAnErrorNamingTheKey(LoadBalancerProvider p, Map<String, ?> json, String key) {
    ConfigOrError c = p.parseLoadBalancingPolicyConfig(json);
    assertNotNull(c.getError(), () -> "accepted " + json);
    String d = c.getError().getDescription();
    assertTrue(d.startsWith(p.getPolicyName() + " config: " + key), () -> "description should name " + key + ": " + d);
  }
}
