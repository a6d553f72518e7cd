package io.lb4j.grpc;

import static io.grpc.ConnectivityState.CONNECTING;
import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;
import static io.grpc.ConnectivityState.SHUTDOWN;
import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancerListener;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code lb4j_*} balancer inside one gRPC channel.
 *
 * <p>It keeps one subchannel per resolved address group and one lb4j
 * {@link io.lb4j.LoadBalancer} whose endpoint list is exactly the READY subchannels' endpoints, so
 * lb4j's outlier detection, active health checks, panic mode and slow start apply unchanged. The
 * endpoint list changes only on READY transitions (never per request). The installed picker asks
 * lb4j to choose and maps the endpoint to the subchannel's prebuilt pick result; a new picker is
 * installed on every change of the READY set and every lb4j status change (ejection, health).
 *
 * <p><b>Counting.</b> The picker only {@linkplain io.lb4j.LoadBalancer#choose chooses}; the pick
 * result's stream tracer {@linkplain io.lb4j.LoadBalancer#begin begins} the request at
 * {@code streamCreated} and releases it at {@code streamClosed}. gRPC drops a pick silently when the
 * subchannel's transport is gone (and re-picks), with no callback, so counting at pick time would
 * leak an in-flight count for every such pick.
 *
 * <p><b>Trade-off.</b> An endpoint's lb4j state (ejection, health verdict, latency average) lives
 * while its subchannel is READY; a subchannel that drops out and reconnects starts afresh (and
 * ramps up again under slow start). gRPC's A50 keeps ejections across reconnects; doing the same
 * needs a core way to mark an endpoint "not connected" without removing it.
 *
 * <p>Threading: every method except the pickers' runs in the channel's synchronization context,
 * as gRPC requires; lb4j listener callbacks hop into it.
 */
final class Lb4jGrpcLoadBalancer extends LoadBalancer {

  private static final Logger log = LoggerFactory.getLogger(Lb4jGrpcLoadBalancer.class);

  private final Helper helper;
  private final SynchronizationContext sync;
  private final Supplier<Lb4jConfig> defaults;

  /** By address group without attributes, in the resolver's order. */
  private Map<EquivalentAddressGroup, Entry> entries = new LinkedHashMap<>();
  private Lb4jConfig config;
  private io.lb4j.LoadBalancer lb;
  private ConnectivityState state;
  private Status lastError = Status.UNAVAILABLE.withDescription("no subchannel has failed yet");
  private boolean shutdown;
  private boolean pickerErrorLogged; // log a broken policy once, not on every state change
  private boolean authorityAdviceLogged; // the IP-authority-under-TLS WARN, once per channel
  /** Out-of-band channels for grpc.health.v1 probes, by endpoint; read by probe threads. */
  private volatile Map<Endpoint, ManagedChannel> healthChannels = Map.of();

  Lb4jGrpcLoadBalancer(Helper helper, Supplier<Lb4jConfig> defaults) {
    this.helper = helper;
    this.sync = helper.getSynchronizationContext();
    this.defaults = defaults;
  }

  /** One resolved backend: its subchannel, latest state and prebuilt pick result. */
  private final class Entry implements SubchannelStateListener {
    final Subchannel subchannel;
    EquivalentAddressGroup group;
    Endpoint endpoint;
    ConnectivityStateInfo info = ConnectivityStateInfo.forNonError(IDLE);
    PickResult result;
    ManagedChannel healthChannel;

    Entry(Subchannel subchannel, EquivalentAddressGroup group, Endpoint endpoint) {
      this.subchannel = subchannel;
      this.group = group;
      this.endpoint = endpoint;
    }

    @Override
    public void onSubchannelState(ConnectivityStateInfo newInfo) {
      onState(this, newInfo);
    }

    boolean ready() {
      return info.getState() == READY;
    }
  }

  /** The lb4j balancer behind the current config; for tests. */
  io.lb4j.LoadBalancer lb4j() {
    return lb;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    if (shutdown) {
      return Status.OK;
    }
    List<EquivalentAddressGroup> groups = resolved.getAddresses();
    if (groups.isEmpty()) {
      Status error = Status.UNAVAILABLE.withDescription(
          "name resolver returned no addresses, attributes " + resolved.getAttributes());
      handleNameResolutionError(error);
      return error;
    }
    if (!authorityAdviceLogged && AuthorityAdvice.isIpAuthority(helper.getAuthority()) && tlsChannel()) {
      authorityAdviceLogged = true;
      log.warn("lb4j channel to {}: {}", helper.getAuthority(), AuthorityAdvice.advice(helper.getAuthority()));
    }
    Object cfg = resolved.getLoadBalancingPolicyConfig();
    Lb4jConfig next = cfg instanceof Lb4jConfig c ? c : defaults.get();
    Status configError = Status.OK;
    if (!next.equals(config)) {
      try {
        replaceBalancer(next);
        config = next;
      } catch (RuntimeException e) {
        // The parser checks every value with the builders' own setters, so this is a bug; still,
        // an exception must not escape into gRPC ("Panic! This is a bug!" on every call).
        configError = Status.UNAVAILABLE.withCause(e)
            .withDescription(next.policyName() + " config " + next + " could not be applied: " + e.getMessage());
        log.error("{}", configError.getDescription(), e);
        if (lb == null) {
          lastError = configError;
          install(TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(configError)));
          return configError;
        }
        // else keep the balancer of the previous config
      }
    }

    Map<EquivalentAddressGroup, Entry> nextEntries = new LinkedHashMap<>();
    Set<String> addresses = new HashSet<>();
    for (EquivalentAddressGroup group : groups) {
      EquivalentAddressGroup key = Addresses.key(group);
      if (nextEntries.containsKey(key)) {
        continue; // the same backend listed twice
      }
      Endpoint endpoint;
      try {
        endpoint = Addresses.toEndpoint(group);
      } catch (IllegalArgumentException e) {
        log.warn("ignoring address group {}: {}", group, e.getMessage());
        continue;
      }
      if (!addresses.add(endpoint.address())) {
        log.warn("ignoring address group {}: another group already stands for {}", group, endpoint.address());
        continue;
      }
      Entry entry = entries.remove(key);
      if (entry == null) {
        Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
        entry = new Entry(sc, group, endpoint);
        sc.start(entry);
        sc.requestConnection();
      } else if (!entry.group.equals(group)) {
        entry.subchannel.updateAddresses(List.of(group));
        entry.group = group;
      }
      entry.endpoint = endpoint;
      nextEntries.put(key, entry);
    }
    for (Entry gone : entries.values()) {
      close(gone);
    }
    entries = nextEntries;
    if (entries.isEmpty()) {
      Status error = Status.UNAVAILABLE.withDescription("no usable address in " + groups);
      handleNameResolutionError(error);
      return error;
    }
    syncHealthChannels();
    refresh();
    return configError;
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (shutdown) {
      return;
    }
    if (state != READY) {
      lastError = error;
      install(TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(error)));
    }
  }

  @Override
  public void requestConnection() {
    for (Entry e : entries.values()) {
      e.subchannel.requestConnection();
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (Entry e : entries.values()) {
      close(e);
    }
    entries = new LinkedHashMap<>();
    healthChannels = Map.of();
    if (lb != null) {
      lb.close();
    }
  }

  private void onState(Entry entry, ConnectivityStateInfo info) {
    if (shutdown || entries.get(Addresses.key(entry.group)) != entry || info.getState() == SHUTDOWN) {
      return;
    }
    ConnectivityState s = info.getState();
    if (s == IDLE || s == TRANSIENT_FAILURE) {
      helper.refreshNameResolution();
    }
    if (s == IDLE) {
      entry.subchannel.requestConnection(); // connect eagerly: every backend stays warm
    }
    if (s == TRANSIENT_FAILURE) {
      lastError = explained(info.getStatus());
    }
    entry.info = info;
    refresh();
  }

  /**
   * A subchannel's failure as callers get it: a TLS failure under an IP authority says what to do
   * (logged at WARN once per channel).
   */
  private Status explained(Status failure) {
    String authority = helper.getAuthority();
    if (!AuthorityAdvice.isTlsFailure(failure) || !AuthorityAdvice.isIpAuthority(authority)) {
      return failure;
    }
    String advice = AuthorityAdvice.advice(authority);
    if (!authorityAdviceLogged) {
      authorityAdviceLogged = true;
      log.warn("lb4j channel to {}: TLS handshake failed ({}); {}", authority, failure.getDescription(), advice);
    }
    return failure.augmentDescription(advice);
  }

  private boolean tlsChannel() {
    try {
      return AuthorityAdvice.isTls(helper.getChannelCredentials());
    } catch (UnsupportedOperationException e) {
      return false; // a helper that cannot tell: the failure path still explains itself
    }
  }

  /** Builds a new lb4j balancer for a new config; live load state starts afresh. */
  private void replaceBalancer(Lb4jConfig cfg) {
    io.lb4j.LoadBalancer old = lb;
    String name = helper.getAuthority() == null || helper.getAuthority().isBlank() ? "grpc" : helper.getAuthority();
    io.lb4j.LoadBalancer.Builder b = io.lb4j.LoadBalancer.builder()
        .name(name)
        .policy(cfg.policy())
        .panicThreshold(cfg.panicThreshold())
        .slowStart(cfg.slowStartWindow())
        .listener(new StatusListener());
    if (cfg.outlierDetection() != null) {
      b.outlierDetection(cfg.outlierDetection());
    }
    if (cfg.healthCheck() != null) {
      b.healthCheck(cfg.healthCheck(),
          new GrpcHealthProbe(e -> healthChannels.get(e), cfg.healthService(), cfg.healthCheck().timeout()));
    }
    lb = b.build();
    if (old != null) {
      old.close();
    }
  }

  /** Recomputes lb4j's endpoint list and the picker from the subchannels' states. */
  private void refresh() {
    List<Endpoint> ready = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (e.ready()) {
        ready.add(e.endpoint);
        e.result = PickResult.withSubchannel(e.subchannel, new LoadReportingTracerFactory(lb, e.endpoint, null));
      }
    }
    try {
      lb.updateEndpoints(ready);
    } catch (RuntimeException ex) {
      // A policy that cannot build a picker over these endpoints (a bug, or not implemented yet).
      Status error = Status.INTERNAL.withCause(ex)
          .withDescription(config.policyName() + " failed to build a picker: " + ex);
      if (!pickerErrorLogged) {
        pickerErrorLogged = true;
        log.error("{}", error.getDescription(), ex);
      }
      lastError = error;
      install(TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(error)));
      return;
    }
    installPicker();
  }

  /** Installs the picker that matches the subchannels' states and lb4j's view of the endpoints. */
  private void installPicker() {
    Map<Endpoint, PickResult> results = new HashMap<>();
    boolean connecting = false;
    for (Entry e : entries.values()) {
      if (e.ready()) {
        results.put(e.endpoint, e.result);
      } else if (e.info.getState() == CONNECTING || e.info.getState() == IDLE) {
        connecting = true;
      }
    }
    if (!results.isEmpty()) {
      // May lb4j pick at all? (not when all are ejected or unhealthy outside panic mode)
      Optional<String> unavailable = lb.unavailableReason();
      if (unavailable.isEmpty()) {
        install(READY, new Lb4jPicker(lb, results, config.hashing(), config.hashHeader()));
      } else {
        lastError = Status.UNAVAILABLE.withDescription(unavailable.get());
        install(TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(lastError)));
      }
    } else if (connecting && state != TRANSIENT_FAILURE) {
      // Before any subchannel is READY: calls wait for the next picker instead of failing.
      install(CONNECTING, new FixedPicker(PickResult.withNoResult()));
    } else {
      // Sticky TRANSIENT_FAILURE, as gRPC's own policies: no flapping back to CONNECTING on retries.
      install(TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(lastError)));
    }
  }

  private void install(ConnectivityState newState, SubchannelPicker picker) {
    state = newState;
    helper.updateBalancingState(newState, picker);
  }

  /** Keeps one out-of-band channel per endpoint while active health checks are configured. */
  private void syncHealthChannels() {
    boolean on = config != null && config.healthCheck() != null;
    Map<Endpoint, ManagedChannel> channels = new HashMap<>();
    for (Entry e : entries.values()) {
      if (on && e.healthChannel == null) {
        // The endpoint's own server name (also the group's authority override), else the channel's.
        e.healthChannel = helper.createOobChannel(e.group, e.endpoint.serverName().orElse(helper.getAuthority()));
      } else if (!on && e.healthChannel != null) {
        e.healthChannel.shutdown();
        e.healthChannel = null;
      }
      if (e.healthChannel != null) {
        channels.put(e.endpoint, e.healthChannel);
      }
    }
    healthChannels = Map.copyOf(channels);
  }

  private static void close(Entry e) {
    e.subchannel.shutdown();
    if (e.healthChannel != null) {
      e.healthChannel.shutdown();
    }
  }

  /** lb4j ejected, re-admitted or re-rated an endpoint: the picker's view must follow. */
  private final class StatusListener implements LoadBalancerListener {
    @Override
    public void onStatusChange(String name, Endpoint endpoint, EndpointStatus from, EndpointStatus to, String reason) {
      sync.execute(Lb4jGrpcLoadBalancer.this::onLb4jChange);
    }

    @Override
    public void onPanic(String name, boolean panic, int eligible, int total) {
      sync.execute(Lb4jGrpcLoadBalancer.this::onLb4jChange);
    }
  }

  private void onLb4jChange() {
    if (!shutdown && lb != null && !entries.isEmpty()) {
      installPicker();
    }
  }

  /** A picker that always gives the same result: buffering, or an error. */
  static final class FixedPicker extends SubchannelPicker {
    private final PickResult result;

    FixedPicker(PickResult result) {
      this.result = result;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }

    @Override
    public String toString() {
      return "FixedPicker{" + result + "}";
    }
  }
}
