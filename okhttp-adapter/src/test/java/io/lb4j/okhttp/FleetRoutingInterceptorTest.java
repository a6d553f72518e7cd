package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Subset;
import io.lb4j.SubsetConfig;
import io.lb4j.TrafficSplit;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.testing.FakeClock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Subsets, traffic splits and priority levels against real loopback servers: two versions of three
 * servers each, and a primary fleet failing over to a backup fleet as its servers stop one by one.
 */
class FleetRoutingInterceptorTest {

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private <T extends AutoCloseable> T track(T c) {
    closing.add(c);
    return c;
  }

  /** Servers 0-2 are version v1, 3-5 version v2. */
  private Backends versions() throws IOException {
    return track(new Backends(6));
  }

  private static List<Endpoint> versioned(Backends b) {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      out.add(b.endpoint(i).withMetadata(Map.of("version", i < 3 ? "v1" : "v2")));
    }
    return out;
  }

  private OkHttpClient client(LoadBalancingInterceptor.Builder interceptor) {
    OkHttpClient c = new OkHttpClient.Builder().addInterceptor(interceptor.build()).build();
    closing.add(() -> {
      c.dispatcher().executorService().shutdown();
      c.connectionPool().evictAll();
    });
    return c;
  }

  /** The port of the server that answered ("from <port>"). */
  private static int get(OkHttpClient client, Request.Builder request) throws IOException {
    try (Response r = client.newCall(request.build()).execute()) {
      String body = r.body().string();
      assertEquals(200, r.code(), body);
      return Integer.parseInt(body.substring("from ".length()));
    }
  }

  /**
   * Sends {@code n} GETs of {@code url} from 4 threads; returns the port that answered each. Bounded:
   * every call has OkHttp's default timeouts, and the wait for all of them is 60 s.
   */
  private static List<Integer> sendAll(OkHttpClient client, String url, int n) throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        futures.add(pool.submit(() -> get(client, new Request.Builder().url(url))));
      }
      List<Integer> ports = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (java.util.concurrent.Future<Integer> f : futures) {
        ports.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
      return ports;
    } finally {
      pool.shutdownNow();
    }
  }

  private static boolean isV2(Backends b, int port) {
    for (int i = 3; i < 6; i++) {
      if (b.servers.get(i).getPort() == port) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aSplitByRequestHoldsWithinBinomialBoundsOver10000Requests() throws Exception {
    Backends b = versions();
    TrafficSplit split = TrafficSplit.byRequest("version", Map.of("v1", 95, "v2", 5));
    LoadBalancer lb = track(LoadBalancer.builder().name("orders").endpoints(versioned(b)).trafficSplit(split).build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb));
    int v2 = 0;
    for (int port : sendAll(client, "http://orders/x", 10_000)) {
      v2 += isV2(b, port) ? 1 : 0;
    }
    // mean 500, sd sqrt(10,000 x 0.05 x 0.95) = 21.8: five sd either side
    assertTrue(v2 >= 391 && v2 <= 609, v2 + " of 10,000 requests on v2");
    assertEquals(10_000, b.totalRequests());
  }

  @Test
  void aSplitByUserKeepsEachUserOnOneSide() throws IOException {
    Backends b = versions();
    TrafficSplit split = TrafficSplit.byHash("version", Map.of("v1", 80, "v2", 20));
    LoadBalancer lb = track(LoadBalancer.builder().name("orders").endpoints(versioned(b)).trafficSplit(split).build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .hashKey(HashKeys.header("X-User-Id")));
    Map<String, Boolean> side = new HashMap<>();
    for (int round = 0; round < 5; round++) {
      for (int u = 0; u < 300; u++) {
        boolean v2 = isV2(b, get(client, new Request.Builder().url("http://orders/x").header("X-User-Id", "u" + u)));
        Boolean before = side.putIfAbsent("u" + u, v2);
        assertTrue(before == null || before == v2, "user u" + u + " switched sides");
      }
    }
    long onV2 = side.values().stream().filter(v -> v).count();
    // 20 % of 300 users: mean 60, sd 6.9
    assertTrue(onV2 >= 25 && onV2 <= 95, onV2 + " of 300 users on v2");
  }

  @Test
  void aHeaderOrTagNamesTheSubsetAndAnEmptiedSubsetFollowsItsFallback() throws Exception {
    Backends b = versions();
    LoadBalancer strict = track(LoadBalancer.builder().name("strict").endpoints(versioned(b))
        .subsets(SubsetConfig.builder().selector("version").build()).build());
    LoadBalancer lenient = track(LoadBalancer.builder().name("lenient").endpoints(versioned(b))
        .subsets(SubsetConfig.builder().selector("version").fallback(SubsetConfig.Fallback.ANY_ENDPOINT).build())
        .build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("strict", strict)
        .service("lenient", lenient).subsetHeader("X-Version", "version"));
    for (int i = 0; i < 30; i++) {
      assertTrue(isV2(b, get(client, new Request.Builder().url("http://strict/x").header("X-Version", "v2"))));
      assertTrue(!isV2(b, get(client, new Request.Builder().url("http://strict/x")
          .tag(Subset.class, Subset.of("version", "v1")).header("X-Version", "v2"))), "the tag wins");
    }
    List<Endpoint> onlyV1 = versioned(b).subList(0, 3);
    strict.updateEndpoints(onlyV1);
    lenient.updateEndpoints(onlyV1);
    IOException e = assertThrows(IOException.class,
        () -> get(client, new Request.Builder().url("http://strict/x").header("X-Version", "v2")));
    assertEquals("no endpoint available for service 'strict': load balancer 'strict': no endpoint matches subset "
        + "{version=v2} and the subset fallback is NO_FALLBACK", e.getMessage());
    for (int i = 0; i < 30; i++) {
      assertTrue(!isV2(b, get(client, new Request.Builder().url("http://lenient/x").header("X-Version", "v2"))),
          "any endpoint: v1");
    }
    IOException undeclared = assertThrows(IOException.class, () -> get(client,
        new Request.Builder().url("http://lenient/x").tag(Subset.class, Subset.of("shard", "7"))));
    assertTrue(undeclared.getMessage().startsWith("service 'lenient' cannot route {shard=7}: subset {shard=7} uses "
        + "keys [shard], which no subset selector declares"), undeclared.getMessage());
  }

  @Test
  void aSubsetHeaderNeedsTheKeyDeclared() {
    LoadBalancer plain = track(LoadBalancer.builder().name("plain").endpoints(List.of(Endpoint.of("127.0.0.1", 1)))
        .build());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoadBalancingInterceptor.builder().service("plain", plain).subsetHeader("X-Version", "version").build());
    assertEquals("subsetHeader(X-Version, version): service 'plain' declares no subset selector [version] (its "
        + "selectors: [])", e.getMessage());
  }

  @Test
  void killingPrimaryServersOneByOneSpillsToTheBackupByEnvoysFormula() throws Exception {
    Backends b = track(new Backends(14)); // 0-9 priority 0, 10-13 priority 1
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      endpoints.add(b.endpoint(i).withPriority(i < 10 ? 0 : 1));
    }
    FakeClock clock = new FakeClock();
    HttpHealthProbe probe = HttpHealthProbe.builder().path("/health").build();
    closing.add(probe::close);
    LoadBalancer lb = track(LoadBalancer.builder().name("tiers").endpoints(endpoints).ticker(clock).scheduler(clock)
        .healthCheck(HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build(), probe).build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("tiers", lb)
        .retry(RetryPolicy.disabled()));
    int n = 1_000;
    for (int dead = 0; dead <= 10; dead++) {
      if (dead > 0) {
        b.servers.get(dead - 1).close();
      }
      lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
      clock.runDue();
      int level0 = Math.min(100, 140 * (10 - dead) / 10);
      assertEquals(Map.of(0, level0, 1, 100 - level0), lb.priorityLoads(), dead + " primaries stopped");
      java.util.Set<Integer> backups = java.util.Set.of(b.servers.get(10).getPort(), b.servers.get(11).getPort(),
          b.servers.get(12).getPort(), b.servers.get(13).getPort());
      int onBackup = 0;
      for (int port : sendAll(client, "http://tiers/x", n)) {
        onBackup += backups.contains(port) ? 1 : 0;
      }
      double p = (100 - level0) / 100.0;
      double sd = Math.sqrt(n * p * (1 - p));
      assertEquals(n * p, onBackup, 5 * sd + 0.5, dead + " primaries stopped: requests on the backups");
    }
  }

}
