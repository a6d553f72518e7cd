package io.lb4j.grpc;

import static io.grpc.ConnectivityState.CONNECTING;
import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.Connectivity;
import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.grpc.testing.FakeHelper;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.RecordingListener;
import io.lb4j.testing.TestPolicies;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every subchannel transition for each kind of policy (connecting eagerly or lazily, hashing or
 * not), through a real {@link Lb4jGrpcLoadBalancer} in a fake channel: which subchannels connect,
 * what lb4j is told, where calls go, what they wait for, and how many pickers it takes.
 */
class GrpcConnectivityTest {

  /** The kinds of policy, by how they connect and pick. */
  enum Kind {
    EAGER("lb4j_round_robin", Map.of()),
    EAGER_P2C("lb4j_p2c", Map.of()),
    LAZY_MAGLEV("lb4j_maglev", Map.of("hashHeader", "x-user", "tableSize", 251.0)),
    LAZY_RING("lb4j_ring_hash", Map.of("hashHeader", "x-user")),
    EAGER_MAGLEV("lb4j_maglev", Map.of("hashHeader", "x-user", "tableSize", 251.0, "connectEagerly", true));

    final String policy;
    final Map<String, ?> json;

    Kind(String policy, Map<String, ?> json) {
      this.policy = policy;
      this.json = json;
    }

    boolean hashing() {
      return policy.contains("maglev") || policy.contains("ring_hash");
    }

    boolean eager() {
      return !hashing() || json.containsKey("connectEagerly");
    }

    Lb4jConfig config(Map<String, ?> extra) {
      Map<String, Object> all = new HashMap<>(json);
      all.putAll(extra);
      Object parsed = Lb4jGrpc.providers().stream().filter(p -> p.getPolicyName().equals(policy)).findFirst()
          .orElseThrow().parseLoadBalancingPolicyConfig(all).getConfig();
      assertNotNull(parsed, policy + " " + all);
      return (Lb4jConfig) parsed;
    }
  }

  private static final Metadata.Key<String> USER = Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER);

  private FakeHelper helper = new FakeHelper();
  private Lb4jGrpcLoadBalancer balancer;

  @AfterEach
  void tearDown() {
    if (balancer != null) {
      helper.inSync(balancer::shutdown);
    }
    helper.close();
  }

  private static List<EquivalentAddressGroup> groups(int n) {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      groups.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 2_000 + i)));
    }
    return groups;
  }

  private void start(Lb4jConfig config, int backends) {
    balancer = new Lb4jGrpcLoadBalancer(helper, () -> config);
    helper.inSync(() -> assertTrue(balancer.acceptResolvedAddresses(ResolvedAddresses.newBuilder()
        .setAddresses(groups(backends)).setLoadBalancingPolicyConfig(config).build()).isOk()));
  }

  private void start(Kind kind) {
    start(kind.config(Map.of()), 3);
  }

  private static FakeHelper.Args call(String user) {
    Metadata headers = new Metadata();
    headers.put(USER, user);
    return new FakeHelper.Args(CallOptions.DEFAULT, headers);
  }

  private PickResult pick(String user) {
    return helper.picker.pickSubchannel(call(user));
  }

  private static boolean waits(PickResult r) {
    return r.getStatus().isOk() && r.getSubchannel() == null;
  }

  /** The subchannel of the endpoint lb4j chooses for {@code user}'s key. */
  private FakeHelper.FakeSubchannel home(String user) {
    Endpoint e = balancer.lb4j().choose(PickContext.ofKey(user));
    return subchannel(e);
  }

  private FakeHelper.FakeSubchannel subchannel(Endpoint e) {
    return helper.subchannels.stream()
        .filter(sc -> ((InetSocketAddress) sc.addresses.get(0).getAddresses().get(0)).getPort() == e.port())
        .findFirst().orElseThrow();
  }

  private Endpoint endpoint(FakeHelper.FakeSubchannel sc) {
    return Addresses.toEndpoint(sc.addresses.get(0));
  }

  private void allReady() {
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      sc.setState(CONNECTING);
      sc.setState(READY);
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void everyResolvedAddressIsAnEndpointAndOnlyEagerPoliciesConnectAtOnce(Kind kind) {
    start(kind);
    assertEquals(3, balancer.lb4j().endpoints().size());
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      assertEquals(kind.eager() ? 1 : 0, sc.connectionRequests, sc.toString());
      assertEquals(EndpointStatus.NOT_CONNECTED, balancer.lb4j().status(endpoint(sc)));
    }
    assertEquals(kind.hashing() ? IDLE : CONNECTING, helper.state);
    assertTrue(waits(pick("alice")), "nothing is connected: the call waits");
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"LAZY_MAGLEV", "LAZY_RING", "EAGER_MAGLEV"})
  void aKeysFirstCallConnectsItsHomeWaitsAndLandsThere(Kind kind) {
    start(kind);
    FakeHelper.FakeSubchannel home = home("alice");
    assertTrue(waits(pick("alice")));
    assertEquals(1, home.connectionRequests, "the home subchannel was asked to connect");
    for (FakeHelper.FakeSubchannel other : helper.subchannels) {
      if (other != home) {
        assertEquals(kind.eager() ? 1 : 0, other.connectionRequests, "no other subchannel connects for alice");
      }
    }
    assertTrue(waits(pick("alice")));
    assertEquals(1, home.connectionRequests, "asked once per IDLE spell");

    home.setState(CONNECTING);
    assertTrue(waits(pick("alice")), "CONNECTING: the call waits rather than go elsewhere");
    assertEquals(CONNECTING, helper.state);
    // another server comes up first: alice still waits for hers
    FakeHelper.FakeSubchannel other = helper.subchannels.stream().filter(sc -> sc != home).findFirst().orElseThrow();
    other.setState(READY);
    assertTrue(waits(pick("alice")), "alice's first call never lands on another server");
    home.setState(READY);
    assertEquals(READY, helper.state);
    for (int i = 0; i < 20; i++) {
      assertEquals(home, pick("alice").getSubchannel());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"LAZY_MAGLEV", "LAZY_RING", "EAGER_MAGLEV"})
  void aFailedHomeSendsOnlyItsKeysOnUntilItIsReadyAgain(Kind kind) {
    start(kind);
    allReady();
    Map<String, Subchannel> before = new HashMap<>();
    for (int u = 0; u < 200; u++) {
      before.put("u" + u, pick("u" + u).getSubchannel());
    }
    FakeHelper.FakeSubchannel failing = home("u0");

    failing.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("refused")));
    assertEquals(READY, helper.state);
    assertEquals(EndpointStatus.NOT_CONNECTED, balancer.lb4j().status(endpoint(failing)));
    assertMoved(before, failing);
    failing.setState(CONNECTING); // the retry after its backoff
    assertMoved(before, failing);
    assertEquals(Connectivity.DISCONNECTED, balancer.lb4j().connectivity(endpoint(failing)),
        "a retry after a failure does not make calls wait for it");

    failing.setState(READY);
    for (int u = 0; u < 200; u++) {
      assertEquals(before.get("u" + u), pick("u" + u).getSubchannel(), "u" + u + " is home again");
    }
  }

  /** Keys homed on {@code failing} went elsewhere (to READY subchannels); every other key stayed. */
  private void assertMoved(Map<String, Subchannel> before, FakeHelper.FakeSubchannel failing) {
    int moved = 0;
    for (Map.Entry<String, Subchannel> e : before.entrySet()) {
      PickResult now = pick(e.getKey());
      if (e.getValue() == failing) {
        assertNotEquals(failing, now.getSubchannel(), e.getKey());
        assertNotNull(now.getSubchannel(), e.getKey() + " goes to the next READY one: " + now);
        moved++;
      } else {
        assertEquals(e.getValue(), now.getSubchannel(), e.getKey() + " of a working server moved");
      }
    }
    assertTrue(moved > 0, "the failing server had keys");
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void idleAfterReadyReconnectsAtOnceWhenEagerAndOnTheNextCallWhenLazy(Kind kind) {
    start(kind);
    allReady();
    FakeHelper.FakeSubchannel sc = kind.hashing() ? home("alice") : helper.subchannels.get(0);
    int requests = sc.connectionRequests;
    int refreshes = helper.refreshes;
    sc.setState(IDLE);
    assertEquals(refreshes + 1, helper.refreshes, "IDLE refreshes name resolution");
    assertEquals(Connectivity.CONNECTING, balancer.lb4j().connectivity(endpoint(sc)));
    if (kind.eager()) {
      assertEquals(requests + 1, sc.connectionRequests, "eager: reconnects at once");
    } else {
      assertEquals(requests, sc.connectionRequests, "lazy: waits for a call");
      assertTrue(waits(pick("alice")));
      assertEquals(requests + 1, sc.connectionRequests, "lazy: alice's call reconnects it");
    }
    if (!kind.hashing()) {
      for (int i = 0; i < 30; i++) {
        assertNotEquals(sc, helper.pick().getSubchannel(), "a policy without hash picks among READY ones");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"EAGER", "EAGER_P2C"})
  void withoutAHashOnlyReadySubchannelsArePickedAndAllFailedIsAnError(Kind kind) {
    start(kind);
    FakeHelper.FakeSubchannel a = helper.subchannels.get(0);
    a.setState(READY);
    assertEquals(READY, helper.state);
    Set<Object> picked = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      picked.add(helper.pick().getSubchannel());
    }
    assertEquals(Set.of(a), picked);
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      sc.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("refused " + sc)));
    }
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, helper.state);
    PickResult r = helper.pick();
    assertEquals(Status.Code.UNAVAILABLE, r.getStatus().getCode());
    assertTrue(r.getStatus().getDescription().startsWith("refused"), r.toString());
  }

  @Test
  void twoFailedEndpointsMakeAHashPolicyTransientFailureButItStillPicks() {
    start(Kind.LAZY_MAGLEV);
    List<FakeHelper.FakeSubchannel> scs = helper.subchannels;
    scs.get(0).setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("x")));
    assertEquals(IDLE, helper.state);
    scs.get(1).setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("y")));
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, helper.state, "A42: two failed");
    PickResult r = pick("alice");
    assertTrue(waits(r), "every key walks on to the one endpoint left, and waits for it to connect: " + r);
    assertEquals(1, scs.get(2).connectionRequests);
  }

  /** An ejection lives on through a reconnect until its time is up; so do the endpoint's counters. */
  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"EAGER", "EAGER_MAGLEV"})
  void anEjectedServerStaysEjectedThroughAReconnect(Kind kind) {
    FakeClock clock = new FakeClock();
    helper.nameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().ticker(clock).scheduler(clock).build());
    start(kind.config(Map.of("outlierDetection", Map.of("consecutiveFailures", 2.0, "interval", "1s",
        "baseEjectionTime", "30s", "maxEjectionPercent", 50.0))), 3);
    allReady();
    FakeHelper.FakeSubchannel bad = helper.subchannels.get(1);
    Endpoint e = endpoint(bad);
    PickResult result = null;
    for (int i = 0; i < 1_000 && result == null; i++) { // a pick that lands on it, to fail twice
      PickResult r = kind.hashing() ? pick("u" + i) : helper.pick();
      result = r.getSubchannel() == bad ? r : null;
    }
    assertNotNull(result, "no pick landed on " + bad);
    for (int i = 0; i < 2; i++) {
      ClientStreamTracer t = result.getStreamTracerFactory().newClientStreamTracer(
          ClientStreamTracer.StreamInfo.newBuilder().build(), new Metadata());
      t.streamCreated(Attributes.EMPTY, new Metadata());
      t.streamClosed(Status.UNAVAILABLE);
    }
    clock.runDue();
    io.lb4j.LoadBalancer lb = balancer.lb4j();
    assertEquals(EndpointStatus.EJECTED, lb.status(e));

    bad.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("restarting")));
    clock.forward(Duration.ofSeconds(5));
    bad.setState(CONNECTING);
    bad.setState(READY);
    clock.forward(Duration.ofSeconds(5));
    assertEquals(EndpointStatus.EJECTED, lb.status(e), "reconnected, still ejected");
    assertEquals(2, lb.requests(e, Outcome.SERVER_ERROR), "its counters survived the reconnect");
    for (int i = 0; i < 200; i++) {
      assertNotEquals(bad, kind.hashing() ? pick("u" + i).getSubchannel() : helper.pick().getSubchannel());
    }

    clock.forward(Duration.ofSeconds(21));
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "back once its 30 s are up");
    boolean reached = false;
    for (int i = 0; i < 300 && !reached; i++) {
      reached = (kind.hashing() ? pick("u" + i).getSubchannel() : helper.pick().getSubchannel()) == bad;
    }
    assertTrue(reached, "it takes calls again");
  }

  /**
   * A thousand backends that all turn READY in one turn of the synchronization context: one lb4j
   * picker build (for Maglev: one table, over all of them, built before any connected) and one gRPC
   * picker install for the whole start-up.
   */
  @ParameterizedTest
  @EnumSource(value = Kind.class, names = {"EAGER", "EAGER_P2C", "EAGER_MAGLEV"})
  void aThousandBackendsComeUpWithOnePickerBuild(Kind kind) {
    helper = FakeHelper.autoReady();
    TestPolicies.Counting counting = new TestPolicies.Counting(kind.config(Map.of()).policy());
    Lb4jConfig parsed = kind.config(Map.of());
    Lb4jConfig config = new Lb4jConfig(parsed.policyName(), counting, parsed.hashHeader(), null, null, "",
        parsed.panicThreshold(), parsed.slowStartWindow(), parsed.fleet(), parsed.connectEagerly(), parsed.json());
    int installsBefore = helper.stateUpdates;
    start(config, 1_000);
    assertEquals(READY, helper.state);
    assertEquals(1, counting.builds(), "picker builds");
    assertEquals(1, helper.stateUpdates - installsBefore, "picker installs");
    for (int i = 0; i < 1_000; i++) {
      assertNotNull((kind.hashing() ? pick("u" + i) : helper.pick()).getSubchannel());
    }
  }

  @Test
  void aSubchannelChangeThatChangesNothingInstallsNothing() {
    start(Kind.EAGER);
    allReady();
    int installs = helper.stateUpdates;
    helper.subchannels.get(0).setState(READY);
    helper.inSync(() -> { }); // a turn with nothing in it
    assertEquals(installs, helper.stateUpdates, "a repeated READY changes nothing");
    FakeHelper.FakeSubchannel a = helper.subchannels.get(0);
    a.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE));
    int afterFailure = helper.stateUpdates;
    a.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE));
    assertEquals(afterFailure, helper.stateUpdates, "a second failure report changes nothing");
  }

  @Test
  void theBalancerIsNamedAfterTheChannelsServiceAndTakesTheChannelsOptions() {
    assertEquals("orders.internal", BalancerName.of("orders.internal", "static://orders.internal/10.0.0.1:1"));
    assertEquals("orders.internal", BalancerName.of("orders.internal:443", "dns:///orders.internal:443"));
    assertEquals("static:///10.0.0.1:1,10.0.0.2:1", BalancerName.of("10.0.0.1:1", "static:///10.0.0.1:1,10.0.0.2:1"));
    assertEquals("dns:///[::1]:50051", BalancerName.of("[::1]:50051", "dns:///[::1]:50051"));
    assertEquals("grpc", BalancerName.of(null, null));

    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    RecordingListener listener = new RecordingListener();
    helper.nameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().meterRegistry(registry).listener(listener)
        .build());
    start(Kind.EAGER);
    assertEquals("fake-authority", balancer.lb4j().name());
    helper.subchannels.get(0).setState(READY);
    assertEquals(List.of(endpoint(helper.subchannels.get(0)).address() + " NOT_CONNECTED->HEALTHY"), listener.events);
    assertEquals(2.0, registry.get("lb4j.endpoints").tag("lb", "fake-authority").tag("status", "not_connected")
        .gauge().value());

    // a second channel to the same service on the same registry: its own name
    FakeHelper second = new FakeHelper();
    second.nameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().meterRegistry(registry).build());
    Lb4jGrpcLoadBalancer other = new Lb4jGrpcLoadBalancer(second, () -> Kind.EAGER.config(Map.of()));
    second.inSync(() -> other.acceptResolvedAddresses(ResolvedAddresses.newBuilder().setAddresses(groups(2)).build()));
    assertEquals("fake-authority-2", other.lb4j().name());
    second.inSync(other::shutdown);
    assertNull(registry.find("lb4j.panic").tag("lb", "fake-authority-2").gauge(), "its meters left with it");

    FakeHelper named = new FakeHelper();
    named.nameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().name("orders").build());
    Lb4jGrpcLoadBalancer third = new Lb4jGrpcLoadBalancer(named, () -> Kind.EAGER.config(Map.of()));
    named.inSync(() -> third.acceptResolvedAddresses(ResolvedAddresses.newBuilder().setAddresses(groups(1)).build()));
    assertEquals("orders", third.lb4j().name());
    named.inSync(third::shutdown);
  }

  @Test
  void aConfigChangeKeepsTheNameOnTheRegistryAndTellsTheNewBalancerWhatIsConnected() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    helper.nameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().meterRegistry(registry).build());
    start(Kind.EAGER);
    helper.subchannels.get(0).setState(READY);
    Lb4jConfig changed = Kind.EAGER.config(Map.of("panicThreshold", 0.25));
    helper.inSync(() -> assertTrue(balancer.acceptResolvedAddresses(ResolvedAddresses.newBuilder()
        .setAddresses(groups(3)).setLoadBalancingPolicyConfig(changed).build()).isOk()));
    assertEquals("fake-authority", balancer.lb4j().name());
    assertEquals(Connectivity.CONNECTED, balancer.lb4j().connectivity(endpoint(helper.subchannels.get(0))));
    assertEquals(helper.subchannels.get(0), helper.pick().getSubchannel());
  }

  @Test
  void switchingFromALazyToAnEagerPolicyConnectsEverySubchannel() {
    start(Kind.LAZY_MAGLEV);
    helper.subchannels.forEach(sc -> assertEquals(0, sc.connectionRequests));
    Lb4jConfig eager = Kind.EAGER.config(Map.of());
    helper.inSync(() -> assertTrue(balancer.acceptResolvedAddresses(ResolvedAddresses.newBuilder()
        .setAddresses(groups(3)).setLoadBalancingPolicyConfig(eager).build()).isOk()));
    helper.subchannels.forEach(sc -> assertEquals(1, sc.connectionRequests, sc.toString()));
    assertEquals(3, helper.subchannels.size(), "the same subchannels");
  }

  @Test
  void theHeaderIsHashedFromItsBytesAsPickContextHashesItsString() {
    HeaderHash hash = new HeaderHash(USER);
    Metadata one = new Metadata();
    one.put(USER, "alice-42");
    assertEquals(PickContext.ofKey("alice-42"), hash.context(one));
    Metadata two = new Metadata();
    two.put(USER, "bob");
    two.put(USER, "alice");
    assertEquals(PickContext.ofKeys(List.of("alice", "bob")), hash.context(two));
    assertEquals(PickContext.EMPTY, hash.context(new Metadata()));
  }
}
