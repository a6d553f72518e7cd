package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.Metadata;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.lb4j.Peers;
import io.lb4j.Subset;
import io.lb4j.SubsetConfig;
import io.lb4j.grpc.testing.FakeHelper;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fleet keys of the service config: parsed strictly, applied to the balancer, split weights live. */
class FleetConfigTest {

  private final LoadBalancerProvider p2c = new Lb4jLoadBalancerProvider.PowerOfTwoChoices();
  private final FakeHelper helper = FakeHelper.autoReady();
  private final LoadBalancer balancer = p2c.newLoadBalancer(helper);

  @AfterEach
  void tearDown() {
    helper.inSync(balancer::shutdown);
    helper.close();
  }

  private Lb4jConfig ok(Map<String, ?> json) {
    ConfigOrError c = p2c.parseLoadBalancingPolicyConfig(json);
    assertNull(c.getError(), () -> String.valueOf(c.getError()));
    return (Lb4jConfig) c.getConfig();
  }

  @Test
  void readsEveryFleetKey() {
    Lb4jConfig c = ok(Map.of(
        "subsets", Map.of("selectors", List.of(List.of("version"), List.of("version", "shard")),
            "fallback", "DEFAULT_SUBSET", "defaultSubset", Map.of("version", "v1")),
        "subsetHeader", Map.of("header", "x-version", "key", "version"),
        "split", Map.of("key", "version", "weights", Map.of("v1", 95.0, "v2", 5.0), "by", "hash"),
        "aperture", Map.of("size", 8.0, "clientIndex", 3.0, "clientCount", 40.0),
        "localZone", "a", "clientZones", Map.of("a", 10.0, "b", 30.0), "zoneRoutingMinSize", 3.0,
        "overprovisioningFactor", 1.5));
    FleetConfig f = c.fleet();
    assertEquals(List.of(List.of("version"), List.of("shard", "version")), f.subsets().selectors());
    assertEquals(SubsetConfig.Fallback.DEFAULT_SUBSET, f.subsets().fallback());
    assertEquals(Subset.of("version", "v1"), f.subsets().defaultSubset());
    assertEquals("x-version", f.subsetHeader().name());
    assertEquals(Map.of("v1", 95, "v2", 5), f.splitWeights());
    assertTrue(f.splitByHash() && c.hashing(), "a sticky split needs the request hash");
    assertEquals(8, f.aperture().size());
    assertTrue(f.aperture().isDeterministic());
    assertEquals(new Peers(3, 40, Map.of("a", 10, "b", 30)), f.peers());
    assertEquals("a", f.localZone());
    assertEquals(3, f.zoneRoutingMinSize());
    assertEquals(1.5, f.overprovisioningFactor());
    assertSame(FleetConfig.NONE.subsets(), ok(Map.of()).fleet().subsets());
  }

  static List<Object[]> badFleetConfigs() {
    return List.of(
        new Object[] {Map.of("subsets", Map.of("selectors", List.of())), "subsets.selectors"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of("version"))), "subsets.selectors"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of(List.of("a", "a")))), "subsets.selectors"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of(List.of("a")), "fallback", "ANY")),
            "subsets.fallback"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of(List.of("a")), "fallback", "DEFAULT_SUBSET")),
            "subsets"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of(List.of("a")), "bogus", 1.0)), "subsets.bogus"},
        new Object[] {Map.of("split", Map.of("key", "version")), "split.weights"},
        new Object[] {Map.of("split", Map.of("weights", Map.of("v1", 1.0))), "split.key"},
        new Object[] {Map.of("split", Map.of("key", "version", "weights", Map.of("v1", -1.0))), "split"},
        new Object[] {Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 0.5))), "split.weights.v1"},
        new Object[] {Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 1.0), "by", "user")),
            "split.by"},
        new Object[] {Map.of("subsets", Map.of("selectors", List.of(List.of("shard"))),
            "split", Map.of("key", "version", "weights", Map.of("v1", 1.0))), "split.key"},
        new Object[] {Map.of("subsetHeader", Map.of("header", "x-version", "key", "version")), "subsetHeader.key"},
        new Object[] {Map.of("subsetHeader", Map.of("header", "x-version-bin", "key", "v")), "subsetHeader.header"},
        new Object[] {Map.of("aperture", Map.of("size", 0.0)), "aperture.size"},
        new Object[] {Map.of("aperture", Map.of("mode", "ring")), "aperture.mode"},
        new Object[] {Map.of("aperture", Map.of("clientIndex", 1.0)), "aperture"},
        new Object[] {Map.of("aperture", Map.of("clientIndex", 5.0, "clientCount", 5.0)), "aperture.clientIndex"},
        new Object[] {Map.of("clientZones", Map.of("a", 1.0)), "clientZones"},
        new Object[] {Map.of("localZone", "a", "clientZones", Map.of("a", -1.0)), "clientZones"},
        new Object[] {Map.of("localZone", " "), "localZone"},
        new Object[] {Map.of("zoneRoutingMinSize", -1.0), "zoneRoutingMinSize"},
        new Object[] {Map.of("overprovisioningFactor", 0.9), "overprovisioningFactor"});
  }

  @ParameterizedTest
  @MethodSource("badFleetConfigs")
  void badFleetConfigIsAnErrorNamingTheKey(Map<String, ?> json, String key) {
    ConfigOrError c = p2c.parseLoadBalancingPolicyConfig(json);
    assertNotNull(c.getError(), () -> "accepted " + json);
    String d = c.getError().getDescription();
    assertTrue(d.startsWith("lb4j_p2c config: " + key), () -> "description should name " + key + ": " + d);
  }

  private static EquivalentAddressGroup group(int port, String version) {
    return new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", port),
        Attributes.newBuilder().set(Lb4jGrpc.METADATA_KEY, Map.of("version", version)).build());
  }

  private void accept(Lb4jConfig config) {
    helper.inSync(() -> balancer.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(List.of(group(1001, "v1"), group(1002, "v1"), group(1003, "v2")))
        .setLoadBalancingPolicyConfig(config).build()));
  }

  private int v2Share(int n) {
    int v2 = 0;
    for (int i = 0; i < n; i++) {
      LoadBalancer.PickResult r = helper.pick();
      assertTrue(r.getStatus().isOk(), r.toString());
      v2 += ((InetSocketAddress) r.getSubchannel().getAddresses().getAddresses().get(0)).getPort() == 1003 ? 1 : 0;
    }
    return v2;
  }

  @Test
  void newSplitWeightsReachTheRunningBalancerWithoutARebuild() {
    accept(ok(Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 100.0, "v2", 0.0)))));
    assertEquals(ConnectivityState.READY, helper.state);
    io.lb4j.LoadBalancer before = ((Lb4jGrpcLoadBalancer) balancer).lb4j();
    assertEquals(0, v2Share(500));
    accept(ok(Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 0.0, "v2", 100.0)))));
    assertSame(before, ((Lb4jGrpcLoadBalancer) balancer).lb4j(), "the same lb4j balancer: only the weights moved");
    assertEquals(Map.of("v1", 0, "v2", 100), before.trafficSplit().orElseThrow().weights());
    assertEquals(500, v2Share(500));
    accept(ok(Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 0.0, "v2", 100.0)),
        "panicThreshold", 0.3)));
    assertTrue(before != ((Lb4jGrpcLoadBalancer) balancer).lb4j(), "another key changed: a new balancer");
  }

  @Test
  void aCallOptionOrHeaderNamesTheSubsetAndUndeclaredKeysFailTheCall() {
    accept(ok(Map.of("subsets", Map.of("selectors", List.of(List.of("version"))),
        "subsetHeader", Map.of("header", "x-version", "key", "version"))));
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-version", Metadata.ASCII_STRING_MARSHALLER), "v2");
    for (int i = 0; i < 50; i++) {
      LoadBalancer.PickResult byHeader = helper.picker.pickSubchannel(new FakeHelper.Args(CallOptions.DEFAULT, headers));
      assertEquals(1003, port(byHeader));
      LoadBalancer.PickResult byOption = helper.picker.pickSubchannel(new FakeHelper.Args(
          CallOptions.DEFAULT.withOption(Lb4jGrpc.SUBSET_KEY, Subset.of("version", "v1")), headers));
      assertTrue(port(byOption) != 1003, "the call option wins over the header");
    }
    LoadBalancer.PickResult bad = helper.picker.pickSubchannel(new FakeHelper.Args(
        CallOptions.DEFAULT.withOption(Lb4jGrpc.SUBSET_KEY, Subset.of("shard", "7")), new Metadata()));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    assertTrue(bad.getStatus().getDescription().startsWith("subset {shard=7} uses keys [shard], which no subset "
        + "selector declares"), bad.getStatus().getDescription());
    LoadBalancer.PickResult none = helper.picker.pickSubchannel(new FakeHelper.Args(
        CallOptions.DEFAULT.withOption(Lb4jGrpc.SUBSET_KEY, Subset.of("version", "v3")), new Metadata()));
    assertEquals(Status.Code.UNAVAILABLE, none.getStatus().getCode());
    assertEquals("load balancer 'fake-authority': no endpoint matches subset {version=v3} and the subset fallback is "
        + "NO_FALLBACK", none.getStatus().getDescription());
  }

  @Test
  void apertureAndPeersFromTheConfigReachTheBalancer() {
    accept(ok(Map.of("aperture", Map.of("size", 2.0, "mode", "random"), "localZone", "a",
        "clientZones", Map.of("a", 1.0, "b", 1.0))));
    io.lb4j.LoadBalancer lb = ((Lb4jGrpcLoadBalancer) balancer).lb4j();
    assertEquals(Map.of("a", 1, "b", 1), lb.peers().zones());
    java.util.Set<Integer> ports = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      ports.add(port(helper.pick()));
    }
    assertEquals(2, ports.size(), "a random subset of 2 of the 3 endpoints: " + ports);
  }

  private static int port(LoadBalancer.PickResult r) {
    assertTrue(r.getStatus().isOk(), r.toString());
    return ((InetSocketAddress) r.getSubchannel().getAddresses().getAddresses().get(0)).getPort();
  }
}
