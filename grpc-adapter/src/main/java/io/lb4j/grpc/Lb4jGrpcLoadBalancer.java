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
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.lb4j.Connectivity;
import io.lb4j.Endpoint;
import io.lb4j.EndpointHandle;
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
 * <p><b>Endpoints.</b> Every resolved address group is an lb4j endpoint from the moment it is
 * resolved, with one subchannel. The subchannel's state is lb4j's connectivity signal
 * ({@link io.lb4j.LoadBalancer#setConnectivity}): READY is {@code CONNECTED}, IDLE and CONNECTING
 * are {@code CONNECTING}, TRANSIENT_FAILURE is {@code DISCONNECTED} until READY or IDLE. So lb4j
 * decides eligibility, panic and zones with it as with any other signal, and an endpoint's
 * ejection, health verdicts, latency and slow-start state live as long as its address is resolved,
 * however often its connection drops.
 *
 * <p><b>Connecting.</b> The hash policies ({@code lb4j_ring_hash}, {@code lb4j_maglev}) follow gRPC's
 * ring hash (A42/A61): a key's endpoint is chosen among all resolved endpoints; if its subchannel is
 * IDLE the pick asks it to connect and the call waits, if CONNECTING the call waits, and if it failed
 * (or the endpoint is ejected, unhealthy, or outside the preferred zone) the key goes to the next ring
 * entry or Maglev slot whose endpoint is available. They connect lazily, on a call's first pick,
 * unless {@code connectEagerly} is set. The other policies connect every subchannel at once (and
 * again whenever one goes IDLE) and pick among the connected ones.
 *
 * <p><b>Coalescing.</b> Subchannel changes are collected and applied once per turn of the channel's
 * synchronization context: one lb4j rebuild (which reuses the picker when nothing it is built from
 * changed: a hash table over all endpoints is never rebuilt for a connection) and one gRPC picker
 * install. Bringing up n backends costs n cheap state changes and at most one rebuild per turn.
 *
 * <p><b>Counting.</b> The picker only {@linkplain io.lb4j.LoadBalancer#chooseHandle chooses}; the
 * pick result's stream tracer counts the request from {@code streamCreated} until
 * {@code streamClosed} through the endpoint's handle. gRPC drops a pick silently when the
 * subchannel's transport is gone (and re-picks), so counting at pick time would leak.
 *
 * <p>Threading: every method except the pickers' runs in the channel's synchronization context,
 * as gRPC requires; lb4j listener callbacks hop into it.
 */
final class Lb4jGrpcLoadBalancer extends LoadBalancer {

  private static final Logger log = LoggerFactory.getLogger(Lb4jGrpcLoadBalancer.class);

  private final Helper helper;
  private final SynchronizationContext sync;
  private final Supplier<Lb4jConfig> defaults;
  private final Lb4jGrpcOptions options;
  private final String name;

  /** By address group without attributes, in the resolver's order. */
  private Map<EquivalentAddressGroup, GrpcEndpoint> entries = new LinkedHashMap<>();
  private Lb4jConfig config;
  private HeaderHash hashHeader;
  private io.lb4j.LoadBalancer lb;
  /** Reads a call's subset from its metadata (the config's subsetHeader); made with each balancer. */
  private java.util.function.Function<io.grpc.Metadata, io.lb4j.Subset> subsetReader = FleetConfig.NO_SUBSET_HEADER;
  private ConnectivityState state;
  /** The status of the installed fixed result (OK: waiting), or null for the lb4j picker. */
  private Status installedStatus;
  private Status lastError = Status.UNAVAILABLE.withDescription("no subchannel has failed yet");
  /** Something a picker reads changed since the last install. */
  private boolean dirty;
  private boolean flushScheduled;
  private boolean shutdown;
  private boolean pickerErrorLogged; // log a broken policy once, not on every state change
  private boolean authorityAdviceLogged; // the IP-authority-under-TLS WARN, once per channel
  /** The thread applying a change to lb4j: its synchronous listener events need no extra install. */
  private volatile Thread applying;
  /** Out-of-band channels for grpc.health.v1 probes, by endpoint; read by probe threads. */
  private volatile Map<Endpoint, ManagedChannel> healthChannels = Map.of();

  Lb4jGrpcLoadBalancer(Helper helper, Supplier<Lb4jConfig> defaults) {
    this.helper = helper;
    this.sync = helper.getSynchronizationContext();
    this.defaults = defaults;
    this.options = channelOptions(helper);
    this.name = options.name() != null ? options.name() : BalancerName.of(helper);
  }

  /** The options the channel was given as a name-resolver argument ({@link Lb4jGrpc#OPTIONS}), else none. */
  private static Lb4jGrpcOptions channelOptions(Helper helper) {
    try {
      NameResolver.Args args = helper.getNameResolverArgs();
      Lb4jGrpcOptions o = args == null ? null : args.getArg(Lb4jGrpc.OPTIONS);
      return o == null ? Lb4jGrpcOptions.DEFAULTS : o;
    } catch (UnsupportedOperationException e) {
      return Lb4jGrpcOptions.DEFAULTS; // a helper that cannot tell (a test's)
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
    if (next.onlySplitWeightsDiffer(config) && lb != null && lb.trafficSplit().isPresent()) {
      // Only the split moved: the running balancer takes the new weights, nothing is rebuilt.
      lb.trafficSplit().get().weights(next.fleet().splitWeights());
      config = next;
    } else if (!next.equals(config)) {
      try {
        replaceBalancer(next);
        config = next;
        hashHeader = next.hashHeader() == null ? null : new HeaderHash(next.hashHeader());
      } catch (RuntimeException e) {
        // The parser checks every value with the builders' own setters, so this is a bug; still,
        // an exception must not escape into gRPC ("Panic! This is a bug!" on every call).
        configError = Status.UNAVAILABLE.withCause(e)
            .withDescription(next.policyName() + " config " + next + " could not be applied: " + e.getMessage());
        log.error("{}", configError.getDescription(), e);
        if (lb == null) {
          lastError = configError;
          install(TRANSIENT_FAILURE, PickResult.withError(configError));
          return configError;
        }
        // else keep the balancer of the previous config
      }
    }

    Map<EquivalentAddressGroup, GrpcEndpoint> nextEntries = new LinkedHashMap<>();
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
      GrpcEndpoint entry = entries.remove(key);
      if (entry == null) {
        Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(group).build());
        entry = new GrpcEndpoint(sc, group, endpoint, this::onState, this::connectFromPicker);
        sc.start(entry);
      } else if (!entry.group.equals(group)) {
        entry.subchannel.updateAddresses(List.of(group));
        entry.group = group;
      }
      entry.endpoint = endpoint;
      nextEntries.put(key, entry);
    }
    for (GrpcEndpoint gone : entries.values()) {
      close(gone);
    }
    entries = nextEntries;
    if (entries.isEmpty()) {
      Status error = Status.UNAVAILABLE.withDescription("no usable address in " + groups);
      handleNameResolutionError(error);
      return error;
    }
    applyEndpoints();
    syncHealthChannels();
    if (config.connectEagerly()) { // new subchannels, and all of them after a switch from a lazy policy
      for (GrpcEndpoint e : entries.values()) {
        if (e.state == IDLE && !e.connectAsked) {
          e.connect();
        }
      }
    }
    changed();
    return configError;
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (shutdown) {
      return;
    }
    if (state != READY) {
      lastError = error;
      install(TRANSIENT_FAILURE, PickResult.withError(error));
    }
  }

  /** The channel leaves idle mode (or a caller asked for a connection): connect every IDLE subchannel. */
  @Override
  public void requestConnection() {
    for (GrpcEndpoint e : entries.values()) {
      if (e.state == IDLE) {
        e.connect();
      }
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (GrpcEndpoint e : entries.values()) {
      close(e);
    }
    entries = new LinkedHashMap<>();
    healthChannels = Map.of();
    if (lb != null) {
      lb.close();
    }
  }

  private void onState(GrpcEndpoint entry, ConnectivityStateInfo info) {
    if (shutdown || entries.get(Addresses.key(entry.group)) != entry || info.getState() == SHUTDOWN) {
      return;
    }
    ConnectivityState s = info.getState();
    if (s == IDLE || s == TRANSIENT_FAILURE) {
      helper.refreshNameResolution();
    }
    if (s == TRANSIENT_FAILURE) {
      lastError = explained(info.getStatus());
    }
    ConnectivityState before = entry.state;
    entry.update(s);
    if (s == IDLE && config.connectEagerly()) {
      entry.connect(); // eager: every backend stays warm
    }
    if (before != s || entry.connectivity != entry.reported) {
      changed();
    }
  }

  /** A picker found an IDLE subchannel: connect it (lazy policies), in the synchronization context. */
  private void connectFromPicker(GrpcEndpoint entry) {
    sync.execute(() -> {
      if (!shutdown && entry.state == IDLE) {
        entry.connect();
      }
    });
  }

  /** Marks the picker's inputs changed; one flush follows at the end of this synchronization-context turn. */
  private void changed() {
    dirty = true;
    if (!flushScheduled) {
      flushScheduled = true;
      sync.executeLater(this::flush);
    }
  }

  /** Applies the turn's connectivity changes to lb4j (one rebuild) and installs one picker. */
  private void flush() {
    flushScheduled = false;
    if (shutdown || lb == null || entries.isEmpty() || !dirty) {
      return;
    }
    dirty = false;
    Map<Endpoint, Connectivity> changes = new HashMap<>();
    for (GrpcEndpoint e : entries.values()) {
      if (e.connectivity != e.reported) {
        changes.put(e.endpoint, e.connectivity);
        e.reported = e.connectivity;
      }
    }
    if (!changes.isEmpty()) {
      try {
        applying(() -> lb.updateConnectivity(changes));
      } catch (RuntimeException ex) {
        pickerFailed(ex);
        return;
      }
    }
    installPicker();
  }

  /** Runs a change of lb4j on this thread, so that the listener events it fires here do not ask again. */
  private void applying(Runnable change) {
    applying = Thread.currentThread();
    try {
      change.run();
    } finally {
      applying = null;
    }
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

  /**
   * Builds a new lb4j balancer for a new config; live load state starts afresh. Every endpoint's
   * connectivity is told to it at the next flush.
   */
  private void replaceBalancer(Lb4jConfig cfg) {
    io.lb4j.LoadBalancer old = lb;
    io.lb4j.LoadBalancer.Builder b = io.lb4j.LoadBalancer.builder()
        .policy(cfg.policy())
        .panicThreshold(cfg.panicThreshold())
        .slowStart(cfg.slowStartWindow())
        .initialConnectivity(Connectivity.CONNECTING)
        .listener(new StatusListener());
    options.applyTo(b);
    if (cfg.outlierDetection() != null) {
      b.outlierDetection(cfg.outlierDetection());
    }
    if (cfg.healthCheck() != null) {
      b.healthCheck(cfg.healthCheck(),
          new GrpcHealthProbe(e -> healthChannels.get(e), cfg.healthService(), cfg.healthCheck().timeout()));
    }
    cfg.fleet().apply(b);
    if (options.meterRegistry() != null && old != null) {
      old.close(); // frees the name on the registry; a failing build below leaves the error picker
      lb = null;
    }
    lb = BalancerName.build(b, name, options.meterRegistry());
    subsetReader = cfg.fleet().headerReader();
    if (old != null) {
      old.close();
    }
    for (GrpcEndpoint e : entries.values()) {
      e.handle = null;
      e.reported = null;
    }
  }

  /**
   * Gives lb4j the resolved endpoints (one rebuild; new ones join {@code CONNECTING}) and attaches
   * each entry to its endpoint's handle with a pick result whose tracer counts on that handle.
   */
  private void applyEndpoints() {
    List<Endpoint> all = new ArrayList<>(entries.size());
    for (GrpcEndpoint e : entries.values()) {
      all.add(e.endpoint);
    }
    try {
      applying(() -> lb.updateEndpoints(all));
    } catch (RuntimeException ex) {
      pickerFailed(ex);
      return;
    }
    for (GrpcEndpoint e : entries.values()) {
      EndpointHandle h = lb.handle(e.endpoint);
      if (h != e.handle) {
        e.handle = h;
        e.ready = PickResult.withSubchannel(e.subchannel, new LoadReportingTracerFactory(h, lb.recordsLatency()));
        if (e.reported == null) {
          e.reported = Connectivity.CONNECTING; // what a new balancer starts from
        }
        h.attach(e);
      }
    }
  }

  /** A policy that cannot build a picker over these endpoints (a bug, or not implemented yet). */
  private void pickerFailed(RuntimeException ex) {
    Status error = Status.INTERNAL.withCause(ex).withDescription(config.policyName() + " failed to build a picker: " + ex);
    if (!pickerErrorLogged) {
      pickerErrorLogged = true;
      log.error("{}", error.getDescription(), ex);
    }
    lastError = error;
    install(TRANSIENT_FAILURE, PickResult.withError(error));
  }

  /**
   * Installs the picker that matches the subchannels' states and lb4j's view of the endpoints: the
   * lb4j picker whenever lb4j can pick (hash policies: also while keys' endpoints connect), else a
   * picker that makes calls wait (some subchannel may still connect) or fail with the reason.
   */
  private void installPicker() {
    int ready = 0;
    int connecting = 0;
    int idle = 0;
    int failed = 0;
    for (GrpcEndpoint e : entries.values()) {
      switch (e.state) {
        case READY -> ready++;
        case IDLE -> idle++;
        default -> {
          if (e.failed) {
            failed++;
          } else {
            connecting++;
          }
        }
      }
    }
    Optional<String> unavailable = lb.unavailableReason();
    boolean hashing = config.hashing();
    if (unavailable.isEmpty()) {
      // A42's aggregate for hash policies: READY if any is; TRANSIENT_FAILURE once two failed.
      ConnectivityState s = !hashing || ready > 0 ? READY
          : failed >= 2 ? TRANSIENT_FAILURE : connecting > 0 ? CONNECTING : idle > 0 ? IDLE : TRANSIENT_FAILURE;
      installPicker(s, new Lb4jPicker(lb, hashing, hashHeader, subsetReader));
    } else if (ready == 0 && failed > 0 && connecting + idle == 0) {
      install(TRANSIENT_FAILURE, PickResult.withError(lastError)); // nothing connects: say why
    } else if (ready > 0 || state == TRANSIENT_FAILURE) {
      // Connected endpoints that lb4j excludes (ejected, unhealthy), or sticky TRANSIENT_FAILURE (as
      // gRPC's own policies: no flapping back to CONNECTING while subchannels retry).
      Status error = ready > 0 ? Status.UNAVAILABLE.withDescription(unavailable.get()) : lastError;
      install(TRANSIENT_FAILURE, PickResult.withError(error));
    } else {
      // Before any subchannel is READY: calls wait for the next picker instead of failing.
      install(CONNECTING, PickResult.withNoResult());
    }
  }

  private void installPicker(ConnectivityState newState, SubchannelPicker picker) {
    state = newState;
    installedStatus = null;
    helper.updateBalancingState(newState, picker);
  }

  /** Installs a fixed result (waiting or an error), unless the same one is installed already. */
  private void install(ConnectivityState newState, PickResult result) {
    if (newState == state && result.getStatus() == installedStatus) {
      return; // nothing a call would see changed
    }
    state = newState;
    installedStatus = result.getStatus();
    helper.updateBalancingState(newState, new FixedPicker(result));
  }

  /** Keeps one out-of-band channel per endpoint while active health checks are configured. */
  private void syncHealthChannels() {
    boolean on = config != null && config.healthCheck() != null;
    Map<Endpoint, ManagedChannel> channels = new HashMap<>();
    for (GrpcEndpoint e : entries.values()) {
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

  private static void close(GrpcEndpoint e) {
    e.subchannel.shutdown();
    if (e.healthChannel != null) {
      e.healthChannel.shutdown();
    }
  }

  /** lb4j ejected, re-admitted or re-rated an endpoint, or entered or left panic: the picker follows. */
  private final class StatusListener implements LoadBalancerListener {
    @Override
    public void onStatusChange(String lb, Endpoint endpoint, EndpointStatus from, EndpointStatus to, String reason) {
      lb4jChanged();
    }

    @Override
    public void onPanic(String lb, boolean panic, int eligible, int total) {
      lb4jChanged();
    }

    private void lb4jChanged() {
      if (applying != Thread.currentThread()) { // else the change's own install follows
        sync.execute(Lb4jGrpcLoadBalancer.this::changed);
      }
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
