package io.lb4j.grpc;

import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.Scheduler;
import io.lb4j.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * What a channel's {@code lb4j_*} policies get besides their service config: a Micrometer
 * {@link MeterRegistry}, {@link LoadBalancerListener}s, a balancer name, and (for simulations and
 * tests) the time source and scheduler. Given to one channel as a name-resolver argument:
 *
 * <pre>{@code
 * ManagedChannel channel = ManagedChannelBuilder.forTarget("dns:///orders.internal:443")
 *     .defaultLoadBalancingPolicy("lb4j_p2c")
 *     .setNameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder()
 *         .meterRegistry(registry)
 *         .listener(listener)
 *         .build())
 *     .build();
 * }</pre>
 *
 * Each balancer the channel's policy builds (one per channel, a new one when the config changes)
 * registers its meters on the registry and reports to the listeners, exactly as a
 * {@code LoadBalancer} built with {@code LoadBalancer.Builder#meterRegistry} and
 * {@code #listener}. Listener callbacks run on lb4j's scheduler thread (ejections, probe verdicts)
 * or inside the channel's synchronization context (connection and address changes, which the
 * channel applies there): they must be quick and must not block. Without options, nothing is
 * registered and only the policy listens.
 * Immutable; thread-safe.
 */
public final class Lb4jGrpcOptions {

  /** No registry, no listeners, the name taken from the channel. */
  public static final Lb4jGrpcOptions DEFAULTS = builder().build();

  private final MeterRegistry meterRegistry;
  private final List<LoadBalancerListener> listeners;
  private final String name;
  private final Ticker ticker;
  private final Scheduler scheduler;

  private Lb4jGrpcOptions(Builder b) {
    this.meterRegistry = b.meterRegistry;
    this.listeners = List.copyOf(b.listeners);
    this.name = b.name;
    this.ticker = b.ticker;
    this.scheduler = b.scheduler;
  }

  /** A builder with nothing set. */
  public static Builder builder() {
    return new Builder();
  }

  MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  String name() {
    return name;
  }

  /** Sets the listeners, ticker and scheduler on a balancer's builder (name and registry: {@link BalancerName}). */
  void applyTo(LoadBalancer.Builder b) {
    listeners.forEach(b::listener);
    if (ticker != null) {
      b.ticker(ticker);
    }
    if (scheduler != null) {
      b.scheduler(scheduler);
    }
  }

  @Override
  public String toString() {
    return "Lb4jGrpcOptions{" + (name == null ? "" : "name=" + name + ", ") + "meterRegistry="
        + (meterRegistry != null) + ", listeners=" + listeners.size() + "}";
  }

  /**
   * Builds {@link Lb4jGrpcOptions}. Setters check their argument as {@code LoadBalancer.Builder}'s
   * setters of the same name do ({@code null}, a blank name: an {@link IllegalArgumentException}
   * naming the argument). Not thread-safe.
   */
  public static final class Builder {
    private MeterRegistry meterRegistry;
    private final List<LoadBalancerListener> listeners = new ArrayList<>();
    private String name;
    private Ticker ticker;
    private Scheduler scheduler;
    /** Never built: its setters check each value, so the checks and messages are the core's own. */
    private final LoadBalancer.Builder checks = LoadBalancer.builder();

    private Builder() {}

    /**
     * Where the balancers register their meters (see {@code io.lb4j.metrics.LoadBalancerMetrics}).
     * Meters are tagged with the balancer's name; if a live balancer of that name already has meters
     * there (two channels to one service), the name gets a suffix: {@code orders-2}.
     */
    public Builder meterRegistry(MeterRegistry registry) {
      checks.meterRegistry(registry);
      this.meterRegistry = registry;
      return this;
    }

    /** Adds a listener for status changes and panic mode; may be called more than once. */
    public Builder listener(LoadBalancerListener listener) {
      checks.listener(listener);
      this.listeners.add(listener);
      return this;
    }

    /**
     * The balancer's name (metrics tag {@code lb}, log lines). Default: the channel's service, the
     * host of the target's authority ({@code orders.internal} for
     * {@code static://orders.internal/...} or {@code dns:///orders.internal:443}), or the whole
     * target when the authority is an IP address.
     */
    public Builder name(String name) {
      checks.name(name);
      this.name = name;
      return this;
    }

    /** The balancers' time source (see {@code LoadBalancer.Builder#ticker}); default the system's. */
    public Builder ticker(Ticker ticker) {
      checks.ticker(ticker);
      this.ticker = ticker;
      return this;
    }

    /**
     * Where the balancers run their background work (see {@code LoadBalancer.Builder#scheduler});
     * default each its own. A given scheduler is not shut down with the channel.
     */
    public Builder scheduler(Scheduler scheduler) {
      checks.scheduler(scheduler);
      this.scheduler = scheduler;
      return this;
    }

    /** The options. */
    public Lb4jGrpcOptions build() {
      return new Lb4jGrpcOptions(this);
    }
  }
}
