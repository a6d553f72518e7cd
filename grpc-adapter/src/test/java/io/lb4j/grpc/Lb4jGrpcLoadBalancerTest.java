package io.lb4j.grpc;

import static io.grpc.ConnectivityState.CONNECTING;
import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;
import static io.grpc.ConnectivityState.TRANSIENT_FAILURE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.Connectivity;
import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.PickContext;
import io.lb4j.grpc.testing.FakeHelper;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class Lb4jGrpcLoadBalancerTest {

  private final FakeHelper helper = new FakeHelper();
  private final Lb4jLoadBalancerProvider provider = new Lb4jLoadBalancerProvider.Random();
  private final LoadBalancer balancer = provider.newLoadBalancer(helper);

  @AfterEach
  void tearDown() {
    helper.inSync(balancer::shutdown);
  }

  private static EquivalentAddressGroup group(int port) {
    return new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", port));
  }

  private Status accept(List<EquivalentAddressGroup> groups, Object config) {
    Status[] out = new Status[1];
    helper.inSync(() -> out[0] = balancer.acceptResolvedAddresses(
        ResolvedAddresses.newBuilder().setAddresses(groups).setLoadBalancingPolicyConfig(config).build()));
    return out[0];
  }

  private Set<LoadBalancer.Subchannel> pickMany(int n) {
    Set<LoadBalancer.Subchannel> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      PickResult r = helper.pick();
      assertTrue(r.getStatus().isOk(), () -> "pick failed: " + r);
      seen.add(r.getSubchannel());
    }
    return seen;
  }

  @Test
  void createsStartsAndConnectsOneSubchannelPerGroupThenShutsDownThoseThatLeave() {
    assertTrue(accept(List.of(group(1001), group(1002), group(1003)), null).isOk());
    assertEquals(3, helper.subchannels.size());
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      assertNotNull(sc.listener, "started");
      assertEquals(1, sc.connectionRequests, "connects eagerly");
    }
    assertEquals(CONNECTING, helper.state);
    PickResult buffered = helper.pick();
    assertTrue(buffered.getStatus().isOk() && buffered.getSubchannel() == null, "buffers before any READY: " + buffered);

    // 1002 leaves, 1004 joins; the same address with new attributes keeps its subchannel
    EquivalentAddressGroup weighted = new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 1001),
        Attributes.newBuilder().set(Lb4jGrpc.WEIGHT_KEY, 3).build());
    assertTrue(accept(List.of(weighted, group(1003), group(1004)), null).isOk());
    assertEquals(4, helper.subchannels.size());
    assertFalse(helper.subchannels.get(0).shutdown);
    assertEquals(List.of(weighted), helper.subchannels.get(0).addresses);
    assertTrue(helper.subchannels.get(1).shutdown, "1002 shut down");
    assertFalse(helper.subchannels.get(2).shutdown);

    helper.inSync(balancer::shutdown);
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      assertTrue(sc.shutdown, sc + " shut down with the balancer");
    }
  }

  @Test
  void picksOnlyReadySubchannels() {
    accept(List.of(group(1001), group(1002), group(1003)), null);
    FakeHelper.FakeSubchannel a = helper.subchannels.get(0);
    FakeHelper.FakeSubchannel b = helper.subchannels.get(1);
    a.setState(CONNECTING);
    a.setState(READY);
    assertEquals(READY, helper.state);
    assertEquals(Set.of(a), pickMany(50));

    b.setState(READY);
    assertEquals(Set.of(a, b), pickMany(200));

    a.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("boom")));
    assertEquals(READY, helper.state);
    assertEquals(Set.of(b), pickMany(50));
    io.lb4j.LoadBalancer lb = ((Lb4jGrpcLoadBalancer) balancer).lb4j();
    assertEquals(3, lb.endpoints().size(), "every resolved address is an endpoint, connected or not");
    assertEquals(EndpointStatus.NOT_CONNECTED, lb.status(Endpoint.parse("127.0.0.1:1001")));
    assertEquals(Connectivity.DISCONNECTED, lb.connectivity(Endpoint.parse("127.0.0.1:1001")));
    assertEquals(Connectivity.CONNECTING, lb.connectivity(Endpoint.parse("127.0.0.1:1003")));
    assertEquals(EndpointStatus.HEALTHY, lb.status(Endpoint.parse("127.0.0.1:1002")));
  }

  @Test
  void refreshesResolutionOnIdleAndTransientFailureAndReconnectsIdle() {
    accept(List.of(group(1001)), null);
    FakeHelper.FakeSubchannel a = helper.subchannels.get(0);
    a.setState(READY);
    int before = helper.refreshes;
    a.setState(IDLE);
    assertEquals(before + 1, helper.refreshes);
    assertEquals(2, a.connectionRequests, "IDLE reconnects at once");
    a.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("refused")));
    assertEquals(before + 2, helper.refreshes);
    a.setState(CONNECTING);
    assertEquals(before + 2, helper.refreshes, "CONNECTING does not refresh");
  }

  @Test
  void transientFailureCarriesTheLastErrorAndIsSticky() {
    accept(List.of(group(1001), group(1002)), null);
    for (FakeHelper.FakeSubchannel sc : helper.subchannels) {
      sc.setState(ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("refused " + sc)));
    }
    assertEquals(TRANSIENT_FAILURE, helper.state);
    PickResult r = helper.pick();
    assertEquals(Status.Code.UNAVAILABLE, r.getStatus().getCode());
    assertTrue(r.getStatus().getDescription().startsWith("refused"), r.toString());

    helper.subchannels.get(0).setState(CONNECTING);
    assertEquals(TRANSIENT_FAILURE, helper.state, "no flapping back to CONNECTING");
    helper.subchannels.get(0).setState(READY);
    assertEquals(READY, helper.state);
  }

  @Test
  void nullConfigMeansDefaults() {
    assertTrue(accept(List.of(group(1001)), null).isOk());
    helper.subchannels.get(0).setState(READY);
    assertEquals("random", ((Lb4jGrpcLoadBalancer) balancer).lb4j().policy().name());
    assertEquals(helper.subchannels.get(0), helper.pick().getSubchannel());
  }

  @Test
  void emptyAddressListIsAnError() {
    Status s = accept(List.of(), null);
    assertFalse(s.isOk());
    assertEquals(Status.Code.UNAVAILABLE, s.getCode());
    assertEquals(TRANSIENT_FAILURE, helper.state);
    assertTrue(helper.subchannels.isEmpty());
  }

  @Test
  void emptyAddressListKeepsServingFromReadySubchannels() {
    accept(List.of(group(1001)), null);
    helper.subchannels.get(0).setState(READY);
    assertFalse(accept(List.of(), null).isOk());
    assertEquals(READY, helper.state);
    assertFalse(helper.subchannels.get(0).shutdown);
  }

  @Test
  void streamTracerCountsInFlightFromStreamCreatedToStreamClosed() {
    accept(List.of(group(1001)), null);
    helper.subchannels.get(0).setState(READY);
    io.lb4j.LoadBalancer lb = ((Lb4jGrpcLoadBalancer) balancer).lb4j();
    Endpoint e = Endpoint.parse("127.0.0.1:1001");

    PickResult r = helper.pick();
    assertEquals(0, lb.inFlight(e), "a pick alone counts nothing");
    ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();
    ClientStreamTracer t = r.getStreamTracerFactory().newClientStreamTracer(info, new Metadata());
    assertEquals(0, lb.inFlight(e));
    t.streamCreated(Attributes.EMPTY, new Metadata());
    assertEquals(1, lb.inFlight(e));
    t.streamClosed(Status.UNAVAILABLE);
    assertEquals(0, lb.inFlight(e));
    t.streamClosed(Status.OK);
    assertEquals(0, lb.inFlight(e), "a second close changes nothing");

    ClientStreamTracer early = r.getStreamTracerFactory().newClientStreamTracer(info, new Metadata());
    early.streamClosed(Status.CANCELLED);
    early.streamCreated(Attributes.EMPTY, new Metadata());
    assertEquals(0, lb.inFlight(e), "closed before created leaks nothing");
  }

  @Test
  void newPickerOnEveryReadySetChange() {
    accept(List.of(group(1001), group(1002)), null);
    int before = helper.stateUpdates;
    LoadBalancer.SubchannelPicker p0 = helper.picker;
    helper.subchannels.get(0).setState(READY);
    LoadBalancer.SubchannelPicker p1 = helper.picker;
    helper.subchannels.get(1).setState(READY);
    assertEquals(before + 2, helper.stateUpdates);
    assertTrue(p0 != p1 && p1 != helper.picker);
  }

  @Test
  void duplicateGroupsShareOneSubchannel() {
    accept(List.of(group(1001), group(1001)), null);
    assertEquals(1, helper.subchannels.size());
  }

  @Test
  void hashComesFromCallOptionsThenHeaderWithSortedRepeatedValues() {
    List<PickContext> seen = new ArrayList<>();
    io.lb4j.policy.Policy recording = new io.lb4j.policy.Policy() {
      @Override
      public String name() {
        return "recording";
      }

      @Override
      public io.lb4j.policy.Picker newPicker(List<? extends io.lb4j.policy.EndpointView> eligible) {
        return ctx -> {
          seen.add(ctx);
          return eligible.get(0);
        };
      }
    };
    Endpoint e = Endpoint.parse("127.0.0.1:1001");
    try (io.lb4j.LoadBalancer lb = io.lb4j.LoadBalancer.builder().endpoints(List.of(e)).policy(recording).build()) {
      Metadata.Key<String> key = Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER);
      Lb4jPicker picker = new Lb4jPicker(lb, true, new HeaderHash(key));

      Metadata one = new Metadata();
      one.put(key, "alice");
      PickResult unattached = picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT, one));
      assertTrue(unattached.getStatus().isOk() && unattached.getSubchannel() == null,
          "an endpoint with no subchannel attached yet waits for the next picker: " + unattached);
      assertEquals(PickContext.ofKey("alice"), seen.get(0), "the header's stored bytes hash as its String does");

      Metadata two = new Metadata();
      two.put(key, "bob");
      two.put(key, "alice");
      Metadata twoReversed = new Metadata();
      twoReversed.put(key, "alice");
      twoReversed.put(key, "bob");
      picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT, two));
      picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT, twoReversed));
      assertEquals(seen.get(1), seen.get(2), "order of repeated values does not matter");
      assertEquals(PickContext.ofKeys(List.of("alice", "bob")), seen.get(1));

      picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT.withOption(Lb4jGrpc.HASH_KEY, 42L), one));
      assertEquals(PickContext.ofHash(42L), seen.get(3), "HASH_KEY wins over the header");

      picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT, new Metadata()));
      assertFalse(seen.get(4).hasHash(), "no header, no key: no hash");
    }
  }

  @Test
  void outcomesMapAsDocumented() {
    assertEquals(io.lb4j.Outcome.SUCCESS, LoadReportingTracerFactory.outcome(Status.Code.OK));
    for (Status.Code c : List.of(Status.Code.UNAVAILABLE, Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.DATA_LOSS)) {
      assertEquals(io.lb4j.Outcome.SERVER_ERROR, LoadReportingTracerFactory.outcome(c), c.name());
    }
    assertEquals(io.lb4j.Outcome.TIMEOUT, LoadReportingTracerFactory.outcome(Status.Code.DEADLINE_EXCEEDED));
    assertEquals(io.lb4j.Outcome.CANCELLED, LoadReportingTracerFactory.outcome(Status.Code.CANCELLED));
    assertEquals(io.lb4j.Outcome.SUCCESS, LoadReportingTracerFactory.outcome(Status.Code.NOT_FOUND));
    assertEquals(io.lb4j.Outcome.SUCCESS, LoadReportingTracerFactory.outcome(Status.Code.INVALID_ARGUMENT));
  }

  /**
   * A config the parser would refuse (panic threshold 2.0) stands for any bug between parsing and
   * building: it becomes an UNAVAILABLE status and picker naming the config, never an exception
   * out of acceptResolvedAddresses (which gRPC turns into "Panic! This is a bug!" on every call).
   * A balancer already running keeps its previous config.
   */
  @Test
  void aConfigThatCannotBeAppliedIsAnErrorNotAnException() {
    Lb4jConfig ok = (Lb4jConfig) provider.parseLoadBalancingPolicyConfig(Map.of()).getConfig();
    Lb4jConfig broken = new Lb4jConfig(ok.policyName(), ok.policy(), null, null, null, "", 2.0,
        java.time.Duration.ZERO, FleetConfig.NONE, true, Map.of("panicThreshold", 2.0));
    Status first = accept(List.of(group(1001)), broken);
    assertEquals(Status.Code.UNAVAILABLE, first.getCode());
    assertTrue(first.getDescription().contains("panicThreshold"), first.getDescription());
    assertEquals(TRANSIENT_FAILURE, helper.state);
    assertEquals(first.getDescription(), helper.pick().getStatus().getDescription());

    assertTrue(accept(List.of(group(1001)), ok).isOk());
    helper.subchannels.get(0).setState(READY);
    assertEquals(READY, helper.state);
    Status later = accept(List.of(group(1001)), broken);
    assertEquals(Status.Code.UNAVAILABLE, later.getCode());
    assertEquals(READY, helper.state, "the previous config's balancer keeps picking");
    assertTrue(helper.pick().getStatus().isOk());
  }

  @Test
  void nonInetAddressesGetAStableEndpoint() {
    EquivalentAddressGroup g = new EquivalentAddressGroup(new java.net.SocketAddress() {
      @Override
      public String toString() {
        return "in process/a";
      }
    });
    Endpoint e = Addresses.toEndpoint(g);
    assertEquals("sa-in_process_a-" + Integer.toHexString("in process/a".hashCode()) + ":1", e.address());
    assertEquals(e, Addresses.toEndpoint(g), "stable");
    // what the replacement would confuse, the hash keeps apart; long and non-ASCII names stay valid hosts
    assertNotEquals(e.host(), Addresses.sanitize("in process:a"));
    assertEquals("sa-plain-name_1", Addresses.sanitize("plain-name_1"));
    for (String odd : new String[] {"x".repeat(300), "\u00fcber.", "a..b", "1.2.3.999", "ends-", ""}) {
      String host = Addresses.sanitize(odd);
      assertEquals(host, Endpoint.of(host, 1).host(), odd);
    }
    assertNull(Addresses.key(g).getAttributes().get(Lb4jGrpc.WEIGHT_KEY));
  }
}
