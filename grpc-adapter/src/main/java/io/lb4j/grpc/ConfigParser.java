package io.lb4j.grpc;

import io.grpc.Metadata;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policy;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns an {@code lb4j_*} service-config JSON object (as gRPC hands it over: maps, lists, strings,
 * {@link Double}s, booleans and {@code null}s) into an {@link Lb4jConfig}. Strict: a wrong type, a
 * bad value or an unknown key fails with a {@link BadConfigException} whose message names the key
 * path. A JSON {@code null} means the key is absent, at every level, as in gRPC's own parsers.
 * Every value is checked here by the same builder setters that the balancer uses later, so a config
 * that parses builds a balancer. Stateless.
 */
final class ConfigParser {

  /** Keys every {@code lb4j_*} policy accepts. */
  static final Set<String> SHARED_KEYS = Set.of("outlierDetection", "healthCheck", "panicThreshold", "slowStartWindow");

  private static final Pattern DURATION = Pattern.compile("(\\d+)(\\.\\d{1,9})?s");
  /** The largest google.protobuf.Duration, 10,000 years: gRPC refuses longer JSON durations too. */
  private static final long MAX_DURATION_SECONDS = 315_576_000_000L;

  /** Sets one builder field from a JSON value; {@code key} is the full path, for messages. */
  @FunctionalInterface
  private interface Setter<B> {
    void apply(B builder, Object value, String key);
  }

  private static final Map<String, Setter<OutlierDetectionConfig.Builder>> OUTLIER = outlierSetters();
  private static final Map<String, Setter<HealthCheckConfig.Builder>> HEALTH = Map.of(
      "interval", (b, v, k) -> b.interval(duration(k, v)),
      "timeout", (b, v, k) -> b.timeout(duration(k, v)),
      "unhealthyThreshold", (b, v, k) -> b.unhealthyThreshold(integer(k, v)),
      "healthyThreshold", (b, v, k) -> b.healthyThreshold(integer(k, v)),
      "jitter", (b, v, k) -> b.jitter(number(k, v)));

  private ConfigParser() {}

  /** A config that this parser rejected; the message starts with the offending key path. */
  static final class BadConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    BadConfigException(String message) {
      super(message);
    }
  }

  /** Unchecked carrier inside setters; unwrapped into {@link BadConfigException} at the top. */
  private static final class Bad extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Bad(String key, String message) {
      super(key + ": " + message, null, false, false);
    }
  }

  /**
   * Parses one config.
   *
   * @param policyName the gRPC policy name, used in nothing but the result
   * @param policyKeys the policy-specific keys this policy accepts
   * @param policyFactory builds the lb4j policy from the config object (reads only its own keys)
   * @param json the config; null means defaults
   */
  static Lb4jConfig parse(String policyName, Set<String> policyKeys, Function<Reader, Policy> policyFactory,
      Map<String, ?> json) throws BadConfigException {
    try {
      // null values stay here (every read treats them as absent, unknown keys are refused even so)
      // and are dropped from the copy kept for equality
      Map<String, ?> raw = json == null ? Map.of() : json;
      Reader r = new Reader(raw);
      for (String key : raw.keySet()) {
        if (!policyKeys.contains(key) && !SHARED_KEYS.contains(key)) {
          Set<String> known = new TreeSet<>(policyKeys);
          known.addAll(SHARED_KEYS);
          throw new Bad(key, "unknown key for " + policyName + " (known keys: " + String.join(", ", known) + ")");
        }
      }
      Policy policy = policyFactory.apply(r);
      Metadata.Key<String> hashHeader = null;
      String header = r.string("hashHeader");
      if (header != null) {
        hashHeader = headerKey(header);
      }
      OutlierDetectionConfig outlier = null;
      Map<String, ?> od = r.object("outlierDetection");
      if (od != null) {
        OutlierDetectionConfig.Builder b = OutlierDetectionConfig.builder();
        apply(b, "outlierDetection.", od, OUTLIER);
        outlier = build("outlierDetection", b::build);
      }
      HealthCheckConfig health = null;
      String service = "";
      Map<String, ?> hc = r.object("healthCheck");
      if (hc != null) {
        Map<String, Object> rest = new LinkedHashMap<>(hc);
        Object svc = rest.remove("service");
        if (svc != null) {
          if (!(svc instanceof String s)) {
            throw new Bad("healthCheck.service", "must be a string, was " + describe(svc));
          }
          service = s;
        }
        HealthCheckConfig.Builder b = HealthCheckConfig.builder();
        apply(b, "healthCheck.", rest, HEALTH);
        health = b.build();
      }
      // The balancer's own setters check these two, so the balancer built later accepts them.
      io.lb4j.LoadBalancer.Builder check = io.lb4j.LoadBalancer.builder();
      double panic = io.lb4j.LoadBalancer.DEFAULT_PANIC_THRESHOLD;
      if (raw.get("panicThreshold") != null) {
        panic = number("panicThreshold", raw.get("panicThreshold"));
        set("panicThreshold", check::panicThreshold, panic);
      }
      Duration slowStart = Duration.ZERO;
      if (raw.get("slowStartWindow") != null) {
        slowStart = duration("slowStartWindow", raw.get("slowStartWindow"));
        set("slowStartWindow", check::slowStart, slowStart);
      }
      return new Lb4jConfig(policyName, policy, hashHeader, outlier, health, service, panic, slowStart,
          withoutNulls("", raw));
    } catch (Bad e) {
      throw new BadConfigException(e.getMessage());
    }
  }

  private static <T> void set(String key, java.util.function.Consumer<T> setter, T value) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      throw new Bad(key, e.getMessage());
    }
  }

  /**
   * A copy without the {@code null} values, in nested objects too: gRPC treats a JSON null as an
   * absent key, and so does lb4j. Keys must be strings.
   */
  private static Map<String, ?> withoutNulls(String path, Map<?, ?> json) {
    Map<String, Object> out = new java.util.HashMap<>();
    for (Map.Entry<?, ?> e : json.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw new Bad(path.isEmpty() ? "config" : path, "must have string keys, was " + describe(e.getKey()));
      }
      Object v = e.getValue();
      if (v instanceof Map<?, ?> m) {
        v = withoutNulls(path + k + ".", m);
      }
      if (v != null) {
        out.put(k, v);
      }
    }
    return Map.copyOf(out);
  }

  private static <B> void apply(B builder, String prefix, Map<String, ?> json, Map<String, Setter<B>> setters) {
    for (Map.Entry<String, ?> e : json.entrySet()) {
      String key = prefix + e.getKey();
      Setter<B> setter = setters.get(e.getKey());
      if (setter == null) {
        throw new Bad(key, "unknown key (known keys: " + String.join(", ", new TreeSet<>(setters.keySet())) + ")");
      }
      if (e.getValue() == null) {
        continue; // JSON null: absent
      }
      try {
        setter.apply(builder, e.getValue(), key);
      } catch (IllegalArgumentException ex) {
        throw new Bad(key, ex.getMessage());
      }
    }
  }

  private static <T> T build(String key, java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new Bad(key, e.getMessage());
    }
  }

  private static Map<String, Setter<OutlierDetectionConfig.Builder>> outlierSetters() {
    Map<String, Setter<OutlierDetectionConfig.Builder>> m = new LinkedHashMap<>();
    m.put("consecutiveFailures", (b, v, k) -> b.consecutiveFailures(integer(k, v)));
    m.put("consecutiveLocalFailures", (b, v, k) -> b.consecutiveLocalFailures(integer(k, v)));
    m.put("interval", (b, v, k) -> b.interval(duration(k, v)));
    m.put("baseEjectionTime", (b, v, k) -> b.baseEjectionTime(duration(k, v)));
    m.put("maxEjectionTime", (b, v, k) -> b.maxEjectionTime(duration(k, v)));
    m.put("maxEjectionPercent", (b, v, k) -> b.maxEjectionPercent(integer(k, v)));
    m.put("successRateMinimumHosts", (b, v, k) -> b.successRateMinimumHosts(integer(k, v)));
    m.put("successRateRequestVolume", (b, v, k) -> b.successRateRequestVolume(integer(k, v)));
    m.put("successRateStdevFactor", (b, v, k) -> b.successRateStdevFactor(number(k, v)));
    m.put("successRateEnforcementPercentage", (b, v, k) -> b.successRateEnforcementPercentage(integer(k, v)));
    m.put("failurePercentageThreshold", (b, v, k) -> b.failurePercentageThreshold(integer(k, v)));
    m.put("failurePercentageMinimumHosts", (b, v, k) -> b.failurePercentageMinimumHosts(integer(k, v)));
    m.put("failurePercentageRequestVolume", (b, v, k) -> b.failurePercentageRequestVolume(integer(k, v)));
    m.put("failurePercentageEnforcementPercentage",
        (b, v, k) -> b.failurePercentageEnforcementPercentage(integer(k, v)));
    // gRPC A50 spellings
    m.put("maxEjectionPercentage", (b, v, k) -> b.maxEjectionPercent(integer(k, v)));
    Map<String, Setter<OutlierDetectionConfig.Builder>> successRate = Map.of(
        // A50 gives the factor in thousandths, as Envoy does: 1900 means 1.9
        "stdevFactor", (b, v, k) -> b.successRateStdevFactor(integer(k, v) / 1000.0),
        "enforcementPercentage", (b, v, k) -> b.successRateEnforcementPercentage(integer(k, v)),
        "minimumHosts", (b, v, k) -> b.successRateMinimumHosts(integer(k, v)),
        "requestVolume", (b, v, k) -> b.successRateRequestVolume(integer(k, v)));
    m.put("successRateEjection", (b, v, k) -> apply(b, k + ".", object(k, v), successRate));
    Map<String, Setter<OutlierDetectionConfig.Builder>> failurePercentage = Map.of(
        "threshold", (b, v, k) -> b.failurePercentageThreshold(integer(k, v)),
        "enforcementPercentage", (b, v, k) -> b.failurePercentageEnforcementPercentage(integer(k, v)),
        "minimumHosts", (b, v, k) -> b.failurePercentageMinimumHosts(integer(k, v)),
        "requestVolume", (b, v, k) -> b.failurePercentageRequestVolume(integer(k, v)));
    m.put("failurePercentageEjection", (b, v, k) -> apply(b, k + ".", object(k, v), failurePercentage));
    return Map.copyOf(m);
  }

  private static Metadata.Key<String> headerKey(String name) {
    if (name.isEmpty() || name.startsWith(":") || name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      throw new Bad("hashHeader", "must be a non-empty ASCII header name (not a pseudo-header, not -bin), was '" + name + "'");
    }
    try {
      return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    } catch (IllegalArgumentException e) {
      throw new Bad("hashHeader", "is not a valid header name, was '" + name + "': " + e.getMessage());
    }
  }

  static double number(String key, Object v) {
    if (!(v instanceof Number n)) {
      throw new Bad(key, "must be a number, was " + describe(v));
    }
    double d = n.doubleValue();
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new Bad(key, "must be a finite number, was " + d);
    }
    return d;
  }

  static int integer(String key, Object v) {
    double d = number(key, v);
    if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
      throw new Bad(key, "must be an integer, was " + v);
    }
    return (int) d;
  }

  /**
   * Parses gRPC's JSON duration form: {@code "10s"}, {@code "0.25s"}; non-negative, at most
   * protobuf's 315576000000s. Which durations a key accepts is for its builder setter to say.
   */
  static Duration duration(String key, Object v) {
    if (!(v instanceof String s) || !DURATION.matcher(s.strip()).matches()) {
      throw new Bad(key, "must be a duration string such as \"10s\" or \"0.25s\", was " + describe(v));
    }
    String t = s.strip();
    BigDecimal seconds = new BigDecimal(t.substring(0, t.length() - 1));
    if (seconds.compareTo(BigDecimal.valueOf(MAX_DURATION_SECONDS)) > 0) {
      throw new Bad(key, "is out of range, was " + describe(v) + " (a JSON duration is at most "
          + MAX_DURATION_SECONDS + "s; lb4j treats anything above 864000000s, 10,000 days, as 10,000 days)");
    }
    BigDecimal whole = seconds.setScale(0, java.math.RoundingMode.DOWN);
    return Duration.ofSeconds(whole.longValue()).plusNanos(seconds.subtract(whole).movePointRight(9).longValue());
  }

  private static Map<String, ?> object(String key, Object v) {
    if (!(v instanceof Map<?, ?> m)) {
      throw new Bad(key, "must be a JSON object, was " + describe(v));
    }
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        throw new Bad(key, "must have string keys, was " + describe(k));
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, ?> typed = (Map<String, ?>) m;
    return typed;
  }

  private static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    String text = v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    return text + " (" + v.getClass().getSimpleName() + ")";
  }

  /** Typed access to the top-level keys, for policy factories. */
  static final class Reader {
    private final Map<String, ?> json;

    private Reader(Map<String, ?> json) {
      this.json = json;
    }

    /** Whether the config has {@code key} (with a non-null value). */
    boolean has(String key) {
      return json.get(key) != null;
    }

    /** Fails naming {@code key} if the config has it: for keys that do not apply to a mode. */
    void refuse(String key, String why) {
      if (has(key)) {
        throw new Bad(key, why);
      }
    }

    /** An error naming {@code key}, for the factory to throw. */
    RuntimeException bad(String key, String message) {
      return new Bad(key, message);
    }

    /** An integer key, or {@code dflt} when absent. */
    int integer(String key, int dflt) {
      Object v = json.get(key);
      return v == null ? dflt : ConfigParser.integer(key, v);
    }

    /** A number key, or {@code dflt} when absent. */
    double number(String key, double dflt) {
      Object v = json.get(key);
      return v == null ? dflt : ConfigParser.number(key, v);
    }

    /** A duration key in gRPC's JSON form ({@code "10s"}, {@code "0.25s"}), or {@code dflt} when absent. */
    Duration duration(String key, Duration dflt) {
      Object v = json.get(key);
      return v == null ? dflt : ConfigParser.duration(key, v);
    }

    /**
     * Builds the policy from the values of {@code keys}; if the policy refuses them, the error
     * names the key its message starts with (the policies name their argument first), else all.
     */
    Policy policy(java.util.function.Supplier<Policy> factory, String... keys) {
      try {
        return factory.get();
      } catch (IllegalArgumentException e) {
        String msg = String.valueOf(e.getMessage());
        for (String key : keys) {
          if (msg.startsWith(key)) {
            throw new Bad(key, msg);
          }
        }
        throw new Bad(String.join("/", keys), msg);
      }
    }

    String string(String key) {
      Object v = json.get(key);
      if (v != null && !(v instanceof String)) {
        throw new Bad(key, "must be a string, was " + describe(v));
      }
      return (String) v;
    }

    Map<String, ?> object(String key) {
      Object v = json.get(key);
      return v == null ? null : ConfigParser.object(key, v);
    }
  }
}
