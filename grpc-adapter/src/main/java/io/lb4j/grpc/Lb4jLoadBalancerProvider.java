package io.lb4j.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.lb4j.policy.LeastRequestPolicy;
import io.lb4j.policy.MaglevPolicy;
import io.lb4j.policy.PeakEwmaPolicy;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.lb4j.policy.RingHashPolicy;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code lb4j_*} load-balancing policies for gRPC-java, one nested provider per policy name,
 * registered through {@code META-INF/services/io.grpc.LoadBalancerProvider} (or
 * {@link Lb4jGrpc#registerAll()}).
 *
 * <p>Config (service-config JSON, every key optional): the policy keys {@code tableSize}
 * ({@code lb4j_maglev}, default 65537), {@code minRingSize}/{@code maxRingSize}
 * ({@code lb4j_ring_hash}, default 1024/8388608), {@code ringMode} ({@code lb4j_ring_hash}:
 * {@code "envoy"}, the default, or {@code "stable"}) with {@code entriesPerWeight} (stable only,
 * default 160), {@code hashBalanceFactor} (both hash policies: bounded load as a factor, e.g.
 * {@code 1.25}, not Envoy's percent form; 1.0..10.0 in whole percent; absent means off),
 * {@code choiceCount}/{@code activeRequestBias}
 * ({@code lb4j_least_request}, default 2/1.0), {@code decay} ({@code lb4j_peak_ewma}: the latency
 * estimate's time constant as a duration string, default {@code "10s"}, at least {@code "0.001s"}),
 * {@code hashHeader} (hash policies; default none:
 * random unless {@link Lb4jGrpc#HASH_KEY} is set), and the shared keys {@code outlierDetection},
 * {@code healthCheck}, {@code panicThreshold} (default 0.5) and {@code slowStartWindow} (default
 * off). {@link #parseLoadBalancingPolicyConfig} never throws: a wrong type, a bad value or an
 * unknown key gives an error whose description names the key. Providers are stateless and
 * thread-safe.
 */
public abstract class Lb4jLoadBalancerProvider extends LoadBalancerProvider {

  static final String RANDOM = "lb4j_random";
  static final String ROUND_ROBIN = "lb4j_round_robin";
  static final String WEIGHTED_ROUND_ROBIN = "lb4j_weighted_round_robin";
  static final String P2C = "lb4j_p2c";
  static final String LEAST_REQUEST = "lb4j_least_request";
  static final String PEAK_EWMA = "lb4j_peak_ewma";
  static final String RING_HASH = "lb4j_ring_hash";
  static final String MAGLEV = "lb4j_maglev";

  private final String name;
  private final Set<String> policyKeys;
  private final Function<ConfigParser.Reader, Policy> policyFactory;

  private Lb4jLoadBalancerProvider(String name, Set<String> policyKeys, Function<ConfigParser.Reader, Policy> policyFactory) {
    this.name = name;
    this.policyKeys = policyKeys;
    this.policyFactory = policyFactory;
  }

  /** Always true: lb4j needs nothing beyond its own jars. */
  @Override
  public boolean isAvailable() {
    return true;
  }

  /** 5, the priority of gRPC's own built-in policies. */
  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return name;
  }

  /** A new balancer; its config arrives with the first resolved addresses ({@code null} = defaults). */
  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new Lb4jGrpcLoadBalancer(helper, this::defaults);
  }

  /**
   * Parses the JSON config; never throws. {@code null} or an empty object means the defaults.
   *
   * @return the parsed config, or an {@code UNAVAILABLE} error whose description names the key
   */
  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    try {
      return ConfigOrError.fromConfig(ConfigParser.parse(name, policyKeys, policyFactory, rawConfig));
    } catch (ConfigParser.BadConfigException e) {
      return ConfigOrError.fromError(Status.UNAVAILABLE.withDescription(name + " config: " + e.getMessage()));
    } catch (RuntimeException e) {
      return ConfigOrError.fromError(Status.UNAVAILABLE.withCause(e)
          .withDescription(name + " config: rejected " + rawConfig + ": " + e));
    }
  }

  private Lb4jConfig defaults() {
    try {
      return ConfigParser.parse(name, policyKeys, policyFactory, null);
    } catch (ConfigParser.BadConfigException e) {
      throw new IllegalStateException("defaults of " + name + " must parse", e);
    }
  }

  /** {@code lb4j_random}: uniformly random; no policy keys. */
  public static final class Random extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public Random() {
      super(RANDOM, Set.of(), r -> Policies.random());
    }
  }

  /** {@code lb4j_round_robin}: exact rotation; no policy keys. */
  public static final class RoundRobin extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RoundRobin() {
      super(ROUND_ROBIN, Set.of(), r -> Policies.roundRobin());
    }
  }

  /** {@code lb4j_weighted_round_robin}: smooth weighted round robin over address weights. */
  public static final class WeightedRoundRobin extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public WeightedRoundRobin() {
      super(WEIGHTED_ROUND_ROBIN, Set.of(), r -> Policies.weightedRoundRobin());
    }
  }

  /** {@code lb4j_p2c}: fewer in-flight of two distinct random picks; no policy keys. */
  public static final class PowerOfTwoChoices extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public PowerOfTwoChoices() {
      super(P2C, Set.of(), r -> Policies.powerOfTwoChoices());
    }
  }

  /** {@code lb4j_least_request}: Envoy's; keys {@code choiceCount} (2), {@code activeRequestBias} (1.0). */
  public static final class LeastRequest extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public LeastRequest() {
      super(LEAST_REQUEST, Set.of("choiceCount", "activeRequestBias"), r -> {
        int choiceCount = r.integer("choiceCount", LeastRequestPolicy.DEFAULT_CHOICE_COUNT);
        double bias = r.number("activeRequestBias", LeastRequestPolicy.DEFAULT_ACTIVE_REQUEST_BIAS);
        return r.policy(() -> Policies.leastRequest(choiceCount, bias), "choiceCount", "activeRequestBias");
      });
    }
  }

  /**
   * {@code lb4j_peak_ewma}: latency-aware power of two choices ({@link PeakEwmaPolicy});
   * key {@code decay} (a duration string, default {@code "10s"}). The balancer times every call for it.
   */
  public static final class PeakEwma extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public PeakEwma() {
      super(PEAK_EWMA, Set.of("decay"), r -> {
        java.time.Duration decay = r.duration("decay", PeakEwmaPolicy.DEFAULT_DECAY);
        return r.policy(() -> Policies.peakEwma(decay), "decay");
      });
    }
  }

  /**
   * {@code lb4j_ring_hash}: keys {@code ringMode} ({@code "envoy"}: Envoy's ring, with
   * {@code minRingSize}, {@code maxRingSize}; {@code "stable"}: a stable ring with
   * {@code entriesPerWeight}), {@code hashBalanceFactor}, {@code hashHeader}. A key that does not
   * apply to the chosen mode is refused by name.
   */
  public static final class RingHash extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RingHash() {
      super(RING_HASH, Set.of("minRingSize", "maxRingSize", "ringMode", "entriesPerWeight", "hashBalanceFactor",
          "hashHeader"), r -> {
        String mode = r.string("ringMode");
        if (mode == null || mode.equals("envoy")) {
          r.refuse("entriesPerWeight", "applies only to ringMode \"stable\"");
          int min = r.integer("minRingSize", RingHashPolicy.DEFAULT_MIN_RING_SIZE);
          int max = r.integer("maxRingSize", RingHashPolicy.DEFAULT_MAX_RING_SIZE);
          Policy plain = r.policy(() -> Policies.ringHash(min, max), "minRingSize", "maxRingSize");
          return bounded(r, plain, factor -> Policies.ringHash(min, max, factor));
        }
        if (!mode.equals("stable")) {
          throw r.bad("ringMode", "must be \"envoy\" or \"stable\", was \"" + mode + "\"");
        }
        r.refuse("minRingSize", "applies only to ringMode \"envoy\" (a stable ring sizes itself by entriesPerWeight)");
        r.refuse("maxRingSize", "applies only to ringMode \"envoy\" (a stable ring sizes itself by entriesPerWeight)");
        int entries = r.integer("entriesPerWeight", RingHashPolicy.DEFAULT_ENTRIES_PER_WEIGHT);
        Policy plain = r.policy(() -> Policies.stableRingHash(entries), "entriesPerWeight");
        return bounded(r, plain, factor -> Policies.stableRingHash(entries, factor));
      });
    }
  }

  /** {@code lb4j_maglev}: Envoy-compatible; keys {@code tableSize} (prime, 65537), {@code hashBalanceFactor}, {@code hashHeader}. */
  public static final class Maglev extends Lb4jLoadBalancerProvider {
    /** For {@link java.util.ServiceLoader}. */
    public Maglev() {
      super(MAGLEV, Set.of("tableSize", "hashBalanceFactor", "hashHeader"), r -> {
        int tableSize = r.integer("tableSize", MaglevPolicy.DEFAULT_TABLE_SIZE);
        Policy plain = r.policy(() -> Policies.maglev(tableSize), "tableSize");
        return bounded(r, plain, factor -> Policies.maglev(tableSize, factor));
      });
    }
  }

  /**
   * {@code plain}, or with {@code hashBalanceFactor} set, the policy {@code withFactor} builds; its
   * other arguments were already checked by building {@code plain}, so an error is the factor's.
   */
  private static Policy bounded(ConfigParser.Reader r, Policy plain, java.util.function.DoubleFunction<Policy> withFactor) {
    if (!r.has("hashBalanceFactor")) {
      return plain;
    }
    double factor = r.number("hashBalanceFactor", 0);
    return r.policy(() -> withFactor.apply(factor), "hashBalanceFactor");
  }
}
