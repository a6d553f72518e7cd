package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResolversTest {

  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new AssertionError(e);
  });
  private final NameResolver.Args args = NameResolver.Args.newBuilder()
      .setDefaultPort(443)
      .setProxyDetector(addr -> null)
      .setSynchronizationContext(sync)
      .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
        @Override
        public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> rawServiceConfig) {
          return NameResolver.ConfigOrError.fromConfig(rawServiceConfig);
        }
      })
      .build();

  /** Records what a resolver reports. */
  private static final class Recorder extends NameResolver.Listener2 {
    final List<List<EquivalentAddressGroup>> results = new ArrayList<>();
    final List<Status> errors = new ArrayList<>();

    @Override
    public void onResult(NameResolver.ResolutionResult result) {
      results.add(result.getAddressesOrError().getValue());
    }

    @Override
    public void onError(Status error) {
      errors.add(error);
    }
  }

  private static Endpoint endpointOf(EquivalentAddressGroup g) {
    return Addresses.toEndpoint(g);
  }

  @Test
  void staticTargetCarriesWeightsZonesAndIpv6() throws Exception {
    List<Endpoint> endpoints = List.of(Endpoint.parse("10.0.0.1:50051").withWeight(3).withZone("eu-1"),
        Endpoint.parse("[::1]:50052"));
    String target = StaticNameResolverProvider.target(endpoints);
    assertTrue(target.startsWith("static:///"), target);
    NameResolver r = new StaticNameResolverProvider().newNameResolver(new URI(target), args);
    Recorder rec = new Recorder();
    sync.execute(() -> r.start(rec));
    assertEquals(1, rec.results.size());
    List<EquivalentAddressGroup> groups = rec.results.get(0);
    assertEquals(3, groups.get(0).getAttributes().get(Lb4jGrpc.WEIGHT_KEY));
    assertEquals("eu-1", groups.get(0).getAttributes().get(Lb4jGrpc.ZONE_KEY));
    assertEquals(endpoints, groups.stream().map(ResolversTest::endpointOf).toList());
    assertTrue(((InetSocketAddress) groups.get(1).getAddresses().get(0)).getAddress() instanceof java.net.Inet6Address);
    assertEquals("10.0.0.1:50051", r.getServiceAuthority());
    sync.execute(r::refresh);
    assertEquals(2, rec.results.size(), "refresh re-delivers");
    r.shutdown();
  }

  @Test
  void plainStaticTargetParses() throws Exception {
    NameResolver r = new StaticNameResolverProvider()
        .newNameResolver(new URI("static:///10.0.0.1:50051,10.0.0.2:50051;weight=2"), args);
    Recorder rec = new Recorder();
    sync.execute(() -> r.start(rec));
    assertEquals(List.of(Endpoint.parse("10.0.0.1:50051"), Endpoint.parse("10.0.0.2:50051").withWeight(2)),
        rec.results.get(0).stream().map(ResolversTest::endpointOf).toList());
    assertNull(new StaticNameResolverProvider().newNameResolver(new URI("dns:///example.com:443"), args));
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "10.0.0.1:0", "10.0.0.1:80;weight=x", "10.0.0.1:80;weight=0",
      "10.0.0.1:80;color=red", "10.0.0.1:80;zone=", "10.0.0.1:80,,10.0.0.2:80", ":80", "10.0.0.1:80;weight=+2",
      "10.0.0.1:80;weight=\u0662", "10.0.0.1:80;weight=2147483648", "999.0.0.1:80", "10.0.0.1:+80"})
  void badStaticTargetQuotesTheBadPart(String list) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StaticNameResolverProvider.parse(list));
    String bad = list.contains(",,") ? "''" : "'" + list.split(",")[0] + "'";
    assertTrue(e.getMessage().contains(bad), () -> e.getMessage() + " should quote " + bad);
  }

  @Test
  void emptyStaticTargetIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StaticNameResolverProvider().newNameResolver(new URI("static:///"), args));
    assertTrue(e.getMessage().contains("no endpoints"), e.getMessage());
  }

  /** An endpoint source the test drives by hand. */
  private static final class ManualSource implements EndpointSource {
    Consumer<List<Endpoint>> onUpdate;
    Consumer<Throwable> onError;
    boolean closed;

    @Override
    public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
      this.onUpdate = onUpdate;
      this.onError = onError;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void endpointSourceResolverDeliversListsKeepsLastGoodOnErrorAndRefreshes() throws Exception {
    ManualSource source = new ManualSource();
    List<URI> asked = new ArrayList<>();
    EndpointSourceNameResolverProvider provider = EndpointSourceNameResolverProvider.of("zk", uri -> {
      asked.add(uri);
      return source;
    });
    assertNull(provider.newNameResolver(new URI("static:///10.0.0.1:1"), args));
    NameResolver r = provider.newNameResolver(new URI("zk:///orders"), args);
    assertEquals(List.of(new URI("zk:///orders")), asked);
    assertEquals("orders", r.getServiceAuthority());
    Recorder rec = new Recorder();
    sync.execute(() -> r.start(rec));
    assertTrue(rec.results.isEmpty());

    List<Endpoint> first = List.of(Endpoint.parse("10.0.0.1:80").withWeight(5).withZone("b"), Endpoint.parse("10.0.0.2:80"));
    source.onUpdate.accept(first);
    assertEquals(first, rec.results.get(0).stream().map(ResolversTest::endpointOf).toList());

    source.onError.accept(new java.io.IOException("registry down"));
    assertEquals(1, rec.errors.size());
    assertEquals(Status.Code.UNAVAILABLE, rec.errors.get(0).getCode());
    assertTrue(rec.errors.get(0).getDescription().contains("registry down"));
    // gRPC logs each resolution error at WARNING with its cause's stack: the reason is in the
    // description only, and the rest of the failure streak does not reach the channel.
    assertNull(rec.errors.get(0).getCause(), "no stack trace for gRPC to log");
    source.onError.accept(new java.io.IOException("registry still down"));
    assertEquals(1, rec.errors.size(), "one error per failure streak");

    sync.execute(r::refresh);
    assertEquals(2, rec.results.size());
    assertEquals(rec.results.get(0), rec.results.get(1), "refresh re-delivers the last good list");
    source.onError.accept(new java.io.IOException("registry down for good"));
    assertEquals(1, rec.errors.size(), "a re-delivered list does not end the source's failure streak");
    source.onUpdate.accept(first);
    source.onError.accept(new java.io.IOException("registry down again"));
    assertEquals(2, rec.errors.size(), "a new streak after the source delivered a list");
    assertEquals(3, rec.results.size());

    r.shutdown();
    assertTrue(source.closed);
    source.onUpdate.accept(List.of(Endpoint.parse("10.0.0.3:80")));
    assertEquals(3, rec.results.size(), "nothing after shutdown");
    assertFalse(rec.results.get(2).isEmpty());
  }

  @Test
  void endpointSourceProviderValidatesArguments() {
    assertThrows(IllegalArgumentException.class, () -> EndpointSourceNameResolverProvider.of("1bad", u -> null));
    assertThrows(IllegalArgumentException.class, () -> EndpointSourceNameResolverProvider.of("zk", null));
  }
}
