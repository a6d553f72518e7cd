package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HashKeysTest {

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void extractorsReadHeaderCookieQueryAndPath() {
    Request r = new Request.Builder().url("http://orders/users/42?tenant=acme&x=1")
        .header("X-User-Id", "u7")
        .addHeader("Cookie", "a=1; session=\"s-9\"; b=2")
        .build();
    assertEquals("u7", HashKeys.header("x-user-id").key(r));
    assertEquals("s-9", HashKeys.cookie("session").key(r));
    assertEquals("1", HashKeys.cookie("a").key(r));
    assertNull(HashKeys.cookie("sess").key(r), "a prefix of a cookie name is not that cookie");
    assertEquals("acme", HashKeys.queryParameter("tenant").key(r));
    assertEquals("/users/42", HashKeys.path().key(r));
    Request bare = new Request.Builder().url("http://orders/").build();
    assertNull(HashKeys.header("X-User-Id").key(bare));
    assertNull(HashKeys.cookie("session").key(bare));
    assertNull(HashKeys.queryParameter("tenant").key(bare));
    assertThrows(IllegalArgumentException.class, () -> HashKeys.header(" "));
    assertThrows(IllegalArgumentException.class, () -> HashKeys.sticky(HashKeys.path(), Duration.ZERO));
  }

  private Map<String, Integer> portPerUser(OkHttpClient client, int users, int rounds) throws IOException {
    Map<String, Integer> ports = new HashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (int u = 0; u < users; u++) {
        String user = "user-" + u;
        Request r = new Request.Builder().url("http://orders/cart").header("X-User-Id", user).build();
        try (Response resp = client.newCall(r).execute()) {
          assertEquals(200, resp.code());
          int port = resp.request().url().port();
          Integer before = ports.putIfAbsent(user, port);
          assertTrue(before == null || before == port, user + " moved from " + before + " to " + port);
        }
      }
    }
    return ports;
  }

  private OkHttpClient client(LoadBalancer lb, HashKeyExtractor key) {
    return new OkHttpClient.Builder().addInterceptor(LoadBalancingInterceptor.builder()
        .service("orders", lb).hashKey(key).build()).build();
  }

  private LoadBalancer lb(List<Endpoint> endpoints, Policy policy) {
    LoadBalancer lb = LoadBalancer.builder().name("orders").endpoints(endpoints).policy(policy).build();
    closeables.add(lb);
    return lb;
  }

  @Test
  void hashKeyKeepsEachUserOnOneServerAndUsersSpreadOverAll() throws IOException {
    Backends b = new Backends(3);
    closeables.add(b);
    LoadBalancer lb = lb(b.endpoints(), Policies.maglev());
    Map<String, Integer> ports = portPerUser(client(lb, HashKeys.header("X-User-Id")), 60, 3);
    assertEquals(3, new HashSet<>(ports.values()).size(), "users spread over all servers: " + ports);
  }

  @Test
  void stickyAffinitySurvivesAddingAnEndpointAndMovesOffADrainedOne() throws IOException {
    Backends b = new Backends(3);
    closeables.add(b);
    LoadBalancer lb = lb(b.endpoints(), Policies.random());
    StickyHashKey sticky = HashKeys.sticky(HashKeys.header("X-User-Id"), Duration.ofMinutes(5));
    OkHttpClient client = client(lb, sticky);
    Map<String, Integer> before = portPerUser(client, 30, 2);
    assertEquals(30, sticky.pinnedKeys());
    assertEquals(3, new HashSet<>(before.values()).size(), "random placement uses every server");

    b.add(200);
    lb.updateEndpoints(b.endpoints());
    assertEquals(before, portPerUser(client, 30, 2), "no user moved when an endpoint joined");

    Endpoint drained = b.endpoint(0);
    lb.drain(drained);
    Map<String, Integer> after = portPerUser(client, 30, 2);
    Set<String> moved = new HashSet<>();
    for (var e : before.entrySet()) {
      if (e.getValue() == drained.port()) {
        moved.add(e.getKey());
        assertNotEquals(drained.port(), after.get(e.getKey()), e.getKey() + " still on the drained endpoint");
      } else {
        assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " moved without reason");
      }
    }
    assertTrue(!moved.isEmpty(), "some user was on the drained endpoint");
  }
}
