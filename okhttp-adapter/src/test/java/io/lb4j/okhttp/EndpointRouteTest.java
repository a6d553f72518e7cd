package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import java.util.List;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EndpointRouteTest {

  private final FakeClock clock = new FakeClock();
  private LoadBalancer lb;

  @AfterEach
  void close() {
    if (lb != null) {
      lb.close();
    }
  }

  private LoadBalancer lb(Endpoint... endpoints) {
    lb = LoadBalancer.builder().name("orders").endpoints(List.of(endpoints)).policy(Policies.roundRobin())
        .ticker(clock).scheduler(clock).build();
    return lb;
  }

  /** The balancer's own object for its endpoint on {@code port}, as a pick hands it out. */
  private Endpoint current(int port) {
    return lb.endpoints().stream().filter(e -> e.port() == port).findFirst().orElseThrow();
  }

  @Test
  void rebuildingAgainstAPrebuiltBaseGivesWhatOkHttpsBuilderGives() {
    List<String> urls = List.of("http://svc/", "http://svc", "http://svc:8080/a/b%20c?x=1#f", "http://svc/a?",
        "http://svc/a?#", "http://svc/a#", "http://svc/a?q=a+b&r=%2B&s=%20&t&=u", "http://svc/%E2%82%AC/ü?ä=ö",
        "http://svc/a;b=c/d:e", "http://svc/a/./b/../c/", "http://svc/a%5Cb%2F%2Fc", "http://svc/?next=//evil/x",
        "http://svc/a#/b?c", "https://svc/a/b", "http://SVC/A/B?C=D", "http://svc/%2e%2E/x");
    List<HttpUrl> bases = List.of(HttpUrl.get("http://127.0.0.1:8081/"), HttpUrl.get("http://[::1]:9000/"),
        HttpUrl.get("http://backend-7.internal/"), HttpUrl.get("https://orders.internal:8443/"),
        new HttpUrl.Builder().scheme("https").host("::1").port(443).build(), HttpUrl.get("https://10.0.0.1:443/"));
    for (String u : urls) {
      HttpUrl url = HttpUrl.get(u);
      for (HttpUrl base : bases) {
        HttpUrl expected = url.newBuilder().scheme(base.scheme()).host(base.host()).port(base.port()).build();
        HttpUrl fast = EndpointRoute.resolved(url, base);
        assertNotNull(fast, u + " against " + base + " takes the fast way");
        assertEquals(expected, fast, u + " against " + base);
        assertEquals(expected.pathSegments(), fast.pathSegments(), u);
        assertEquals(expected.fragment(), fast.fragment(), u);
        assertEquals(base.toString().replaceAll("/$", "") + url.toString().substring(url.toString().indexOf('/', 8)),
            fast.toString(), "scheme, host and port are the base's, the rest is the URL's: " + u);
      }
    }
  }

  @Test
  void userInfoAndAPathThatWouldReadAsAnAuthorityTakeTheBuilder() {
    HttpUrl base = HttpUrl.get("http://127.0.0.1:8081/");
    for (String u : List.of("http://user:secret@svc/a", "http://user@svc/a", "http://svc//evil.example/x",
        "http://svc//")) {
      HttpUrl url = HttpUrl.get(u);
      assertNull(EndpointRoute.resolved(url, base), u);
      HttpUrl expected = url.newBuilder().host("127.0.0.1").port(8081).build();
      assertEquals(expected, EndpointRoute.rebuild(url, base), u);
      assertEquals("127.0.0.1", EndpointRoute.rebuild(url, base).host(), u);
    }
  }

  @Test
  void aUrlMetAgainIsAnsweredFromTheRouteAndAtMostFourAreKept() {
    lb(Endpoint.of("10.0.0.1", 8080));
    EndpointRoute route = EndpointRoute.of(lb, current(8080));
    HttpUrl first = route.httpUrl(HttpUrl.get("http://orders/a?x=1"));
    assertEquals("http://10.0.0.1:8080/a?x=1", first.toString());
    assertSame(first, route.httpUrl(HttpUrl.get("http://orders/a?x=1")), "an equal URL, made anew, is a hit");
    assertEquals("http://10.0.0.1:8080/a?x=2", route.httpUrl(HttpUrl.get("http://orders/a?x=2")).toString());
    assertEquals("http://10.0.0.1:8080/a?x=1", route.httpUrl(HttpUrl.get("http://other/a?x=1")).toString(),
        "another service's URL is another key");
    for (int i = 0; i < 100; i++) {
      assertEquals("http://10.0.0.1:8080/items/" + i, route.httpUrl(HttpUrl.get("http://orders/items/" + i)).toString());
      assertTrue(route.cachedUrls() <= EndpointRoute.URL_SLOTS, "bounded: " + route.cachedUrls());
    }
    assertEquals(EndpointRoute.URL_SLOTS, route.cachedUrls());
  }

  @Test
  void theRouteLivesOnTheEndpointsHandleAndFollowsTheEndpoint() {
    lb(Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));
    EndpointRoute route = EndpointRoute.of(lb, lb.endpoints().get(0));
    assertSame(route, EndpointRoute.of(lb, lb.endpoints().get(0)));
    assertSame(route, lb.handle(lb.endpoints().get(0)).attachment());
    assertNotSame(route, EndpointRoute.of(lb, lb.endpoints().get(1)), "one route per endpoint");
    HttpUrl url = HttpUrl.get("https://orders/a");
    assertEquals("https://orders:8080/a", route.tlsUrl(url).toString());

    // New metadata (a server name to verify): the balancer hands out a new Endpoint object.
    Endpoint named = lb.endpoints().get(0).withServerName("orders-1.internal");
    lb.updateEndpoints(List.of(named, lb.endpoints().get(1)));
    Endpoint now = lb.endpoints().stream().filter(x -> x.host().equals(named.host())).findFirst().orElseThrow();
    EndpointRoute renamed = EndpointRoute.of(lb, now);
    assertNotSame(route, renamed);
    assertEquals("https://orders-1.internal:8080/a", renamed.tlsUrl(url).toString());
    assertEquals("orders-1.internal", renamed.tag("orders", 1).endpoint().serverName().orElseThrow());

    // A new port is another endpoint: its own route; the old one is gone with its endpoint.
    Endpoint moved = Endpoint.of(named.host(), 9090).withServerName("orders-1.internal");
    lb.updateEndpoints(List.of(moved, lb.endpoints().get(1)));
    assertEquals("https://orders-1.internal:9090/a", EndpointRoute.of(lb, current(9090)).tlsUrl(url).toString());
    assertNull(lb.handle(now).attachment(), "the balancer keeps nothing of a removed endpoint's route");
    assertEquals(2, lb.endpoints().size());
  }

  @Test
  void theFirstTagAndTheDnsRouteAreMadeOnceAndFollowTheirInputs() {
    lb(Endpoint.of("10.0.0.1", 8443));
    EndpointRoute route = EndpointRoute.of(lb, current(8443));
    assertSame(route.tag("orders", 1), route.tag("orders", 1));
    assertEquals(new Lb4jTag("orders", current(8443), 2), route.tag("orders", 2));
    assertEquals("billing", route.tag("billing", 1).service(), "a balancer serving two hosts");

    EndpointDns dns = route.dns("orders", Dns.SYSTEM);
    assertSame(dns, route.dns("orders", Dns.SYSTEM));
    assertEquals(EndpointDns.of("orders", current(8443), Dns.SYSTEM), dns);
    Dns other = hostname -> List.of();
    assertSame(other, route.dns("orders", other).fallback(), "another client's resolver");
    assertNotEquals(dns, route.dns("billing", Dns.SYSTEM));
  }

  @Test
  void aHandshakeFailureStreakStartsOnceAndEndsWithASuccess() {
    lb(Endpoint.of("10.0.0.1", 8443), Endpoint.of("10.0.0.2", 8443));
    EndpointRoute route = EndpointRoute.of(lb, lb.endpoints().get(0));
    route.handshakeSucceeded();
    assertTrue(route.handshakeFailed(), "the first failure starts a streak (and is logged)");
    assertFalse(route.handshakeFailed(), "the next ones continue it");
    assertTrue(EndpointRoute.of(lb, lb.endpoints().get(1)).handshakeFailed(), "each endpoint has its own");
    assertFalse(EndpointRoute.of(lb, lb.endpoints().get(0)).handshakeFailed(), "kept on the endpoint's handle");
    route.handshakeSucceeded();
    assertTrue(route.handshakeFailed(), "a success ended the streak");
  }

  @Test
  void anotherAdaptersAttachmentIsLeftInPlace() {
    lb(Endpoint.of("10.0.0.1", 8080));
    Object foreign = new Object();
    lb.handle(current(8080)).attach(foreign);
    EndpointRoute route = EndpointRoute.of(lb, current(8080));
    assertEquals("http://10.0.0.1:8080/a", route.httpUrl(HttpUrl.get("http://orders/a")).toString());
    assertSame(foreign, lb.handle(current(8080)).attachment());
  }
}
