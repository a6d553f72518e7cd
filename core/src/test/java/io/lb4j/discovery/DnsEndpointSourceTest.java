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
import io.lb4j.testing.StderrLog;
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
    DnsEndpointSource src = source().host("svc.test", 80).queryTimeout(Duration.ofMillis(300))
        .refreshInterval(Duration.ofHours(1)).build(); // only the refreshes the test asks for
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(updates::add, errors::add);
    try {
      assertEquals(List.of(List.of(Endpoint.of("127.0.0.10", 80))), updates);

      dns.stop();
      ExecutionException first = assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));
      assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));

      assertTrue(first.getCause() instanceof DiscoveryException, String.valueOf(first.getCause()));
      assertTrue(first.getCause().getMessage().startsWith("DnsEndpointSource{svc.test:80} could not refresh svc.test from DNS server 127.0.0.1:"),
          first.getCause().getMessage());
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
    assertTrue(resolverThreadAlive(src.threadName()));

    lb.close(); // closes the source
    src.close(); // idempotent

    // The executor has terminated when close() returns; the worker thread object dies a moment later.
    await().atMost(Duration.ofSeconds(5)).until(() -> !resolverThreadAlive(src.threadName()));
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
    DnsEndpointSource src = DnsEndpointSource.builder().host("no-such-host.invalid", 80)
        .refreshInterval(Duration.ofHours(1)).build();
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
    assertMessage("refreshBounds min", () -> DnsEndpointSource.builder().refreshBounds(null, Duration.ofSeconds(1)));
    assertMessage("refreshBounds max", () -> DnsEndpointSource.builder().refreshBounds(Duration.ofSeconds(1), Duration.ZERO));
    assertMessage("min must not exceed max",
        () -> DnsEndpointSource.builder().refreshBounds(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertMessage("queryTimeout", () -> DnsEndpointSource.builder().queryTimeout(Duration.ofSeconds(-1)));
    // sub-millisecond timers are refused; the longest are clamped to 10,000 days, not an overflow later
    assertMessage("refreshInterval", () -> DnsEndpointSource.builder().refreshInterval(Duration.ofNanos(500_000)));
    assertMessage("refreshBounds min",
        () -> DnsEndpointSource.builder().refreshBounds(Duration.ofNanos(1), Duration.ofSeconds(1)));
    assertMessage("queryTimeout", () -> DnsEndpointSource.builder().queryTimeout(Duration.ofNanos(999_999)));
    Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
    DnsEndpointSource.builder().refreshInterval(huge).refreshBounds(huge, huge).queryTimeout(huge).host("a", 1).build();
    assertMessage("server", () -> DnsEndpointSource.builder().server(InetSocketAddress.createUnresolved("x", 53)));
    assertMessage("set host(name, port) or srv(name)", () -> DnsEndpointSource.builder().build());
    assertMessage("not both", () -> DnsEndpointSource.builder().host("a", 1).srv("_a._tcp.b").build());
  }

  private static void assertMessage(String part, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should name " + part);
  }

  // --- Plain dnsmasq (no local=): the AAAA of an IPv4-only name answers REFUSED ---

  private static final String ORDERS_HOSTS = "127.0.0.20 a.orders.test\n127.0.0.21 b.orders.test\n";
  private static final String SRV_A = "_http._tcp.orders.test,a.orders.test,9001,0,10";
  private static final String SRV_B = "_http._tcp.orders.test,b.orders.test,9002,0,30";

  @Test
  void plainDnsmasqSrvTargetsResolveThoughTheirAaaaIsRefused() {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.PLAIN, ORDERS_HOSTS, SRV_A, SRV_B);
    DnsEndpointSource src = source().srv("_http._tcp.orders.test").build();
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(updates::add, errors::add);
    try {
      assertEquals(List.of(List.of(ep("127.0.0.20", 9001, 10), ep("127.0.0.21", 9002, 30))), updates);
      assertEquals(List.of(), errors, "a REFUSED AAAA costs nothing when the A answers");
    } finally {
      src.close();
    }
  }

  @Test
  void plainDnsmasqHostResolvesThoughItsAaaaIsRefused() {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.PLAIN, ORDERS_HOSTS);
    lb = LoadBalancer.builder().endpointSource(source().host("a.orders.test", 8080).failFast(true).build()).build();

    assertEquals(List.of(Endpoint.of("127.0.0.20", 8080)), lb.endpoints());
  }

  @Test
  void aTargetThatStopsResolvingKeepsItsLastAddressesWhileTheOthersStayFresh() throws Exception {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.PLAIN, ORDERS_HOSTS, SRV_A, SRV_B);
    DnsEndpointSource src = source().srv("_http._tcp.orders.test").build();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(l -> { }, errors::add);
    try (StderrLog log = StderrLog.capture()) {
      // a moves; b is gone from the hosts file, so a plain dnsmasq answers REFUSED for it.
      dns.hosts("127.0.0.30 a.orders.test\n");
      List<Endpoint> expected = List.of(ep("127.0.0.21", 9002, 30), ep("127.0.0.30", 9001, 10));
      assertEquals(expected, src.refresh().get(5, TimeUnit.SECONDS));
      assertEquals(expected, src.refresh().get(5, TimeUnit.SECONDS));

      assertEquals(List.of(), errors, "one target resolving is a successful refresh");
      List<String> warns = log.lines("WARN", "SRV _http._tcp.orders.test");
      assertEquals(1, warns.size(), "one WARN for the streak of b failing: " + warns);
      assertTrue(warns.get(0).contains("b.orders.test") && warns.get(0).contains("REFUSED")
          && warns.get(0).contains("127.0.0.21"), warns.get(0));

      dns.hosts(ORDERS_HOSTS);
      assertEquals(List.of(ep("127.0.0.20", 9001, 10), ep("127.0.0.21", 9002, 30)), src.refresh().get(5, TimeUnit.SECONDS));
      assertEquals(1, log.lines("INFO", "every name resolves again").size(), log.text());
    } finally {
      src.close();
    }
  }

  @Test
  void aTargetThatNoLongerExistsIsLeftOut() throws Exception {
    dns = Dnsmasq.start(dir, ORDERS_HOSTS, SRV_A, SRV_B); // authoritative: b answers NXDOMAIN once gone
    DnsEndpointSource src = source().srv("_http._tcp.orders.test").build();
    lb = LoadBalancer.builder().endpointSource(src).build();

    dns.hosts("127.0.0.20 a.orders.test\n");

    assertEquals(List.of(ep("127.0.0.20", 9001, 10)), src.refresh().get(5, TimeUnit.SECONDS));
    assertEquals(List.of(ep("127.0.0.20", 9001, 10)), lb.endpoints());
  }

  @Test
  void aRefreshFailsOnlyWhenNoTargetResolvesAndSaysWhereAndWhy() throws Exception {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.PLAIN, "127.0.0.20 other.orders.test\n", SRV_A, SRV_B);
    DnsEndpointSource src = source().srv("_http._tcp.orders.test").refreshInterval(Duration.ofHours(1)).build();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (StderrLog log = StderrLog.capture()) {
      src.start(l -> { }, errors::add);
      assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));
      assertThrows(ExecutionException.class, () -> src.refresh().get(5, TimeUnit.SECONDS));

      assertEquals(3, errors.size(), "every failed refresh reaches onError");
      DiscoveryException e = (DiscoveryException) errors.get(0);
      assertEquals("DnsEndpointSource{SRV _http._tcp.orders.test}", e.source());
      assertEquals("_http._tcp.orders.test", e.name());
      assertEquals("DNS server 127.0.0.1:" + dns.port(), e.server());
      assertTrue(e.reason().startsWith("no SRV target of _http._tcp.orders.test. resolved: "), e.reason());
      assertTrue(e.reason().contains("A query for a.orders.test. answered REFUSED")
          && e.reason().contains("AAAA query for b.orders.test. answered REFUSED"), e.reason());
      assertEquals(e.source() + " could not refresh " + e.name() + " from " + e.server() + ": " + e.reason(), e.getMessage());

      List<String> warns = log.lines("WARN", e.source());
      assertEquals(1, warns.size(), "one WARN per failure streak: " + warns);
      assertTrue(warns.get(0).contains(e.getMessage()) && warns.get(0).contains("no endpoints yet"), warns.get(0));
      assertFalse(warns.get(0).contains("last good"), warns.get(0));
      assertFalse(log.text().contains("\tat "), "no stack trace below DEBUG");

      dns.hosts(ORDERS_HOSTS);
      assertEquals(2, src.refresh().get(5, TimeUnit.SECONDS).size());
      List<String> infos = log.lines("INFO", e.source());
      assertEquals(1, infos.size(), log.text());
      assertTrue(infos.get(0).contains("succeeded again after 3 failed refresh(es)"), infos.get(0));
    } finally {
      src.close();
    }
  }

  @Test
  void failFastMakesTheFirstFailureABuildError() {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.PLAIN, "127.0.0.20 other.orders.test\n", SRV_A);
    DnsEndpointSource src = source().srv("_http._tcp.orders.test").failFast(true).build();

    DiscoveryException e = assertThrows(DiscoveryException.class,
        () -> LoadBalancer.builder().endpointSource(src).build());

    assertTrue(e.getMessage().contains("_http._tcp.orders.test") && e.getMessage().contains("127.0.0.1:" + dns.port())
        && e.getMessage().contains("REFUSED"), e.getMessage());
    // A source that failed fast is closed: its executor has terminated, the thread object dies a moment later.
    await().atMost(Duration.ofSeconds(5)).until(() -> !resolverThreadAlive(src.threadName()));
  }

  @Test
  void failFastAlsoRefusesAnEmptyFirstList() {
    dns = Dnsmasq.start(dir, "127.0.0.20 other.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).keepLastGoodOnEmpty(false).failFast(true).build();

    DiscoveryException e = assertThrows(DiscoveryException.class, () -> src.start(l -> { }, x -> { }));

    assertTrue(e.reason().contains("no endpoint"), e.getMessage());
  }

  @Test
  void aDeadServerIsNamedWithTheCauseNeverNull() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    int port = dns.port();
    dns.stop(); // nothing listens on the port now: the JDK reports PortUnreachableException without a message
    DnsEndpointSource src = source().host("svc.test", 80).refreshInterval(Duration.ofHours(1)).build();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(l -> { }, errors::add);
    try {
      assertEquals(1, errors.size());
      String message = errors.get(0).getMessage();
      assertTrue(message.contains("DNS server 127.0.0.1:" + port) && message.contains("port unreachable"), message);
      assertFalse(message.contains("null"), message);
    } finally {
      src.close();
    }
  }

  // --- When refreshes happen ---

  @Test
  void theNextRefreshFollowsTheTtlWithinTheBounds() throws Exception {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.AUTHORITATIVE.ttl(7), ORDERS_HOSTS, SRV_A);
    assertEquals(Duration.ofSeconds(7), startedDelay(source().srv("_http._tcp.orders.test")
        .refreshBounds(Duration.ofSeconds(1), Duration.ofHours(1))));
    assertEquals(Duration.ofSeconds(3), startedDelay(source().host("a.orders.test", 80)
        .refreshBounds(Duration.ofSeconds(1), Duration.ofSeconds(3))));
    assertEquals(Duration.ofSeconds(10), startedDelay(source().host("a.orders.test", 80)
        .refreshBounds(Duration.ofSeconds(10), Duration.ofHours(1))));
    assertEquals(Duration.ofSeconds(7), startedDelay(source().host("a.orders.test", 80)), "within the default 5 s..30 s");
  }

  @Test
  void withoutTtlsTheMaximumAppliesAndFailuresBackOffFromTheMinimum() throws Exception {
    // The JDK resolver tells no TTL.
    assertEquals(Duration.ofSeconds(7), startedDelay(DnsEndpointSource.builder().host("localhost", 80)
        .refreshBounds(Duration.ofSeconds(1), Duration.ofSeconds(7))));
    // A failure: the minimum first.
    assertEquals(Duration.ofSeconds(2), startedDelay(DnsEndpointSource.builder().host("no-such-host.invalid", 80)
        .refreshBounds(Duration.ofSeconds(2), Duration.ofSeconds(7))));

    Duration min = Duration.ofSeconds(5);
    Duration max = Duration.ofSeconds(30);
    assertEquals(List.of(5L, 10L, 20L, 30L, 30L), java.util.stream.IntStream.rangeClosed(1, 5)
        .mapToObj(f -> DnsEndpointSource.nextDelay(-1, f, min, max).toSeconds()).toList());
    assertEquals(Duration.ofSeconds(30), DnsEndpointSource.nextDelay(-1, Integer.MAX_VALUE, min, max));
    assertEquals(max, DnsEndpointSource.nextDelay(-1, 40, Duration.ofSeconds(1), max), "no overflow");
    assertEquals(min, DnsEndpointSource.nextDelay(0, 0, min, max));
    assertEquals(max, DnsEndpointSource.nextDelay(86_400, 0, min, max));
  }

  /** Starts a source from the builder, returns its next refresh delay, and closes it. */
  private static Duration startedDelay(DnsEndpointSource.Builder builder) {
    DnsEndpointSource src = builder.build();
    try {
      src.start(l -> { }, e -> { });
      return src.nextRefreshDelay();
    } finally {
      src.close();
    }
  }

  @Test
  void changesArriveWhenTheTtlRunsOutWhateverTheMaximum() {
    dns = Dnsmasq.start(dir, Dnsmasq.Setup.AUTHORITATIVE.ttl(1), "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).refreshBounds(Duration.ofMillis(100), Duration.ofHours(1)).build();
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertEquals(Duration.ofSeconds(1), src.nextRefreshDelay());

    dns.hosts("127.0.0.13 svc.test\n");

    await().atMost(WAIT).until(() -> lb.endpoints().equals(List.of(Endpoint.of("127.0.0.13", 80))));
  }

  @Test
  void everySuccessfulRefreshIsDeliveredChangedOrNot() throws Exception {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource src = source().host("svc.test", 80).refreshInterval(Duration.ofHours(1)).build();
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    src.start(updates::add, e -> { });
    try {
      src.refresh().get(5, TimeUnit.SECONDS);
      src.refresh().get(5, TimeUnit.SECONDS);

      assertEquals(3, updates.size(), "onUpdate after every successful refresh: it says the source is fresh");
      assertEquals(1, updates.stream().distinct().count());
    } finally {
      src.close();
    }
  }

  @Test
  void twoSourcesOnOneNameHaveTheirOwnThreads() {
    dns = Dnsmasq.start(dir, "127.0.0.10 svc.test\n");
    DnsEndpointSource one = source().host("svc.test", 80).build();
    DnsEndpointSource two = source().host("svc.test", 80).build();
    lb = LoadBalancer.builder().endpointSource(one).build();
    try (LoadBalancer other = LoadBalancer.builder().endpointSource(two).build()) {
      assertTrue(one.threadName().startsWith("lb4j-dns-svc.test#"), one.threadName());
      assertFalse(one.threadName().equals(two.threadName()));
      assertTrue(resolverThreadAlive(one.threadName()) && resolverThreadAlive(two.threadName()));
      assertEquals(other.endpoints(), lb.endpoints());
    }
  }
}
