package io.lb4j.discovery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DnsEndpointSource against a real dnsmasq on loopback, and the JDK resolver for localhost. */
class DnsEndpointSourceTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;
  private Dnsmasq dns;
  private LoadBalancer lb;

  @AfterEach
  void tearDown() {
    if (lb != null) {
      lb.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  private DnsEndpointSource.Builder source() {
    return DnsEndpointSource.builder().server(dns.address()).queryTimeout(Duration.ofSeconds(2));
  }

  private static Endpoint ep(String host, int port, int weight) {
    return new Endpoint(host, port, weight, "", Map.of());
  }

  @Test
  void aAndAaaaRecordsBecomeEndpointsBeforeBuildReturns() {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n127.0.0.11 svc.test\nfd00::1 svc.test\n");
    lb = LoadBalancer.builder().endpointSource(source().host("svc.test", 8080).build()).build();

    assertEquals(List.of(Endpoint.of("127.0.0.10", 8080), Endpoint.of("127.0.0.11", 8080),
        Endpoint.of("fd00::1", 8080)), lb.endpoints());
    Selection s = lb.pick();
    assertEquals(8080, s.endpoint().port());
    s.release(Outcome.SUCCESS, 1);
  }

  @Test
  void srvRecordsGivePortAndWeightFromTheLowestPriority() {
    dns = Dnsmasq.start(dir, "127.0.0.20 a.svc.test\n127.0.0.21 b.svc.test\n127.0.0.22 c.svc.test\n",
        "_http._tcp.svc.test,a.svc.test,9001,0,5",
        "_http._tcp.svc.test,b.svc.test,9002,0,0",
        "_http._tcp.svc.test,c.svc.test,9003,1,7"); // a backup at priority 1: not used
    lb = LoadBalancer.builder().endpointSource(source().srv("_http._tcp.svc.test").build()).build();

    assertEquals(List.of(ep("127.0.0.20", 9001, 5), ep("127.0.0.21", 9002, 1)), lb.endpoints());
    assertEquals(List.of(5, 1), lb.endpoints().stream().map(Endpoint::weight).toList());
  }

  @Test
  void srvTargetsCanStayHostNames() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.20 a.svc.test\n", "_grpc._tcp.svc.test,a.svc.test,9001,0,3");
    DnsEndpointSource src = source().srv("_grpc._tcp.svc.test").resolveSrvTargets(false).build();
    lb = LoadBalancer.builder().endpointSource(src).build();

    assertEquals(List.of(ep("a.svc.test", 9001, 3)), lb.endpoints());
    assertEquals(List.of(ep("a.svc.test", 9001, 3)), src.refresh().get(5, TimeUnit.SECONDS));
  }

  @Test
  void changedHostRecordsReachTheBalancerOnRefresh() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n127.0.0.11 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertEquals(List.of(Endpoint.of("127.0.0.10", 80), Endpoint.of("127.0.0.11", 80)), lb.endpoints());

    dns.hosts("127.0.0.11 svc.test\n127.0.0.12 svc.test\n");
    List<Endpoint> now = src.refresh().get(5, TimeUnit.SECONDS);

    List<Endpoint> expected = List.of(Endpoint.of("127.0.0.11", 80), Endpoint.of("127.0.0.12", 80));
    assertEquals(expected, now);
    assertEquals(expected, lb.endpoints());
    assertEquals(expected, src.endpoints());
  }

  @Test
  void changedAnswersArriveByThemselvesEveryRefreshInterval() {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    lb = LoadBalancer.builder()
        .endpointSource(source().host("svc.test", 80).refreshInterval(Duration.ofMillis(100)).build())
        .build();
    assertEquals(List.of(Endpoint.of("127.0.0.10", 80)), lb.endpoints());

    dns.hosts("127.0.0.13 svc.test\n");

    await().atMost(WAIT).until(() -> lb.endpoints().equals(List.of(Endpoint.of("127.0.0.13", 80))));
  }

  @Test
  void changedSrvRecordsReachTheBalancerAfterARestart() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.20 a.svc.test\n127.0.0.21 b.svc.test\n",
        "_http._tcp.svc.test,a.svc.test,9001,0,1");
    DnsEndpointSource src = source().srv("_http._tcp.svc.test").build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertEquals(List.of(ep("127.0.0.20", 9001, 1)), lb.endpoints());

    dns.restart("_http._tcp.svc.test,a.svc.test,9001,0,2", "_http._tcp.svc.test,b.svc.test,9005,0,4");
    src.refresh().get(5, TimeUnit.SECONDS);

    assertEquals(List.of(ep("127.0.0.20", 9001, 2), ep("127.0.0.21", 9005, 4)), lb.endpoints());
    assertEquals(2, lb.endpoints().get(0).weight(), "weight change is taken over");
  }

  @Test
  void failingRefreshKeepsTheLastGoodListAndReportsEachFailure() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).queryTimeout(Duration.ofMillis(300)).build();
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(updates::add, errors::add);
    try {
      assertEquals(List.of(List.of(Endpoint.of("127.0.0.10", 80))), updates);

      dns.stop();
      ExecutionException first = assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));
      assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));

      assertTrue(first.getCause().getMessage().contains("DNS refresh of svc.test:80 failed"), first.getCause().getMessage());
      assertEquals(2, errors.size(), "one error per failing refresh");
      assertEquals(1, updates.size(), "no update: the last good list stays");
      assertEquals(List.of(Endpoint.of("127.0.0.10", 80)), src.endpoints());
    } finally {
      src.close();
    }
  }

  @Test
  void failingRefreshLeavesTheBalancerServing() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n127.0.0.11 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).queryTimeout(Duration.ofMillis(300)).build();
    lb = LoadBalancer.builder().endpointSource(src).build();

    dns.stop();
    assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));

    assertEquals(2, lb.endpoints().size());
    lb.pick().release(Outcome.SUCCESS, 1);
  }

  @Test
  void emptyAnswerKeepsTheLastGoodListByDefault() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).build();
    lb = LoadBalancer.builder().endpointSource(src).build();

    dns.hosts("127.0.0.10 other.test\n"); // svc.test now answers NXDOMAIN
    ExecutionException e = assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));

    assertTrue(e.getCause().getMessage().contains("no records"), e.getCause().getMessage());
    assertEquals(List.of(Endpoint.of("127.0.0.10", 80)), lb.endpoints());
  }

  @Test
  void emptyAnswerEmptiesTheListWhenToldTo() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).keepLastGoodOnEmpty(false).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertEquals(1, lb.endpoints().size());

    dns.hosts("127.0.0.10 other.test\n");
    assertEquals(List.of(), src.refresh().get(5, TimeUnit.SECONDS));

    assertEquals(List.of(), lb.endpoints());
    assertThrows(NoEndpointAvailableException.class, lb::pick);
  }

  @Test
  void picksNeverWaitForASlowDnsServer() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).queryTimeout(Duration.ofSeconds(2)).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    int port = dns.port();
    dns.stop();
    InetAddress lo = InetAddress.getLoopbackAddress();
    // A server that takes queries and never answers: each refresh runs into the query timeout.
    try (DatagramSocket silentUdp = new DatagramSocket(new InetSocketAddress(lo, port));
         ServerSocket silentTcp = new ServerSocket(port, 1, lo)) {
      assertNotNull(silentUdp);
      assertNotNull(silentTcp);
      var refresh = src.refresh();
      assertFalse(refresh.isDone(), "refresh() returns at once");
      for (int i = 0; i < 10_000; i++) {
        lb.pick().release(Outcome.SUCCESS, 1);
      }
      assertFalse(refresh.isDone(), "10,000 picks finished while the query was still waiting");
      assertThrows(ExecutionException.class, () -> refresh.get(10, TimeUnit.SECONDS));
    }
    assertEquals(List.of(Endpoint.of("127.0.0.10", 80)), lb.endpoints());
  }

  @Test
  void refreshesAskedForWhileOneIsQueuedShareIt() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).queryTimeout(Duration.ofMillis(500)).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    int port = dns.port();
    dns.stop();
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
      assertNotNull(silent);
      var first = src.refresh(); // occupies the resolver thread for the query timeout
      var second = src.refresh();
      var third = src.refresh();
      assertTrue(second == third, "requests made while one is queued share it");
      assertThrows(ExecutionException.class, () -> third.get(10, TimeUnit.SECONDS));
      assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
      assertFalse(src.refresh() == third, "a request after the queued one ran gets a new refresh");
    }
  }

  @Test
  void closeStopsTheResolverThreadAndLaterRefreshesFail() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).refreshInterval(Duration.ofMillis(50)).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertTrue(resolverThreadAlive("lb4j-dns-svc.test"));

    lb.close(); // closes the source
    src.close(); // idempotent

    // The executor has terminated when close() returns; the worker thread object dies a moment later.
    await().atMost(Duration.ofSeconds(5)).until(() -> !resolverThreadAlive("lb4j-dns-svc.test"));
    assertThrows(ExecutionException.class, () -> src.refresh().get(1, TimeUnit.SECONDS));
    assertThrows(IllegalStateException.class, () -> src.start(l -> { }, e -> { }));
  }

  private static boolean resolverThreadAlive(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
  }

  @Test
  void jdkResolverResolvesLocalhost() {
    // No server given: A/AAAA go through the JDK (and so /etc/hosts), no dnsmasq needed.
    lb = LoadBalancer.builder().endpointSource(DnsEndpointSource.ofHost("localhost", 8080)).build();

    List<Endpoint> eps = lb.endpoints();
    assertFalse(eps.isEmpty());
    for (Endpoint e : eps) {
      assertTrue(e.host().equals("::1") || e.host().startsWith("127."), e.toString());
      assertEquals(8080, e.port());
    }
  }

  @Test
  void jdkResolverFailureIsReportedNotThrown() throws Exception {
    DnsEndpointSource src = DnsEndpointSource.builder().host("no-such-host.invalid", 80).build();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(l -> { }, errors::add);
    try {
      assertEquals(1, errors.size());
      assertTrue(errors.get(0).getMessage().contains("no-such-host.invalid"), errors.get(0).getMessage());
      assertEquals(List.of(), src.endpoints());
    } finally {
      src.close();
    }
  }

  @Test
  void ipLiteralResolvesToItself() {
    lb = LoadBalancer.builder().endpointSource(DnsEndpointSource.ofHost("[::1]", 9000)).build();
    assertEquals(List.of(Endpoint.of("::1", 9000)), lb.endpoints());
  }

  @Test
  void refreshBeforeStartIsAnError() {
    DnsEndpointSource src = DnsEndpointSource.ofHost("localhost", 80);
    IllegalStateException e = assertThrows(IllegalStateException.class, src::refresh);
    assertTrue(e.getMessage().contains("not started"), e.getMessage());
    src.close();
  }

  @Test
  void builderRejectsBadValuesNamingTheField() {
    assertMessage("host", () -> DnsEndpointSource.builder().host(" ", 80));
    assertMessage("port", () -> DnsEndpointSource.builder().host("a", 0));
    assertMessage("port", () -> DnsEndpointSource.builder().host("a", 65536));
    assertMessage("srv name", () -> DnsEndpointSource.builder().srv(null));
    assertMessage("srv name", () -> DnsEndpointSource.builder().srv("_http._tcp..bad"));
    assertMessage("refreshInterval", () -> DnsEndpointSource.builder().refreshInterval(Duration.ZERO));
    assertMessage("queryTimeout", () -> DnsEndpointSource.builder().queryTimeout(Duration.ofSeconds(-1)));
    assertMessage("server", () -> DnsEndpointSource.builder().server(InetSocketAddress.createUnresolved("x", 53)));
    assertMessage("set host(name, port) or srv(name)", () -> DnsEndpointSource.builder().build());
    assertMessage("not both", () -> DnsEndpointSource.builder().host("a", 1).srv("_a._tcp.b").build());
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
  }
}
