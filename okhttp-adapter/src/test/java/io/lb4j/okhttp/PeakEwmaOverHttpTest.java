package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.LoadBalancer;
import io.lb4j.policy.Policies;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** Peak EWMA behind the unchanged OkHttp interceptor, against real loopback servers. */
class PeakEwmaOverHttpTest {

  private static final int REQUESTS = 2_000;

  private static void get(OkHttpClient client, String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      r.body().string();
      assertEquals(200, r.code(), url);
    }
  }

  /**
   * Why the bound holds on a loaded machine: one request at a time, so nothing is in flight at any
   * pick and the cost is the latency estimate alone. After its first answer the slow server's
   * estimate is at least 50 ms; it wins a draw only against a server whose estimate is higher (one of
   * whose answers took longer than that: a stall of this machine), or once its own has faded below
   * the fast ones' (about {@code decay * ln 50}, 4 s at the 1 s decay used here). Each request it
   * gets holds the client for 50 ms, so a tenth of 2,000 requests would need 10 s of such moments,
   * while the whole test takes about a second. The 1 s decay (not the default 10 s) makes a stall
   * fade within the test instead of outlasting it; warming every server first keeps connection set-up
   * out of the estimates.
   */
  @Test
  void aServerFiftyMillisecondsSlowerGetsUnderATenthOfTheRequests() throws IOException {
    try (Backends b = new Backends(4);
        LoadBalancer lb = LoadBalancer.builder().name("orders").endpoints(b.endpoints())
            .policy(Policies.peakEwma(Duration.ofSeconds(1))).build()) {
      assertTrue(lb.recordsLatency(), "the interceptor times every call for this policy");
      OkHttpClient client = new OkHttpClient.Builder()
          .addInterceptor(LoadBalancingInterceptor.builder().service("orders", lb).build()).build();
      for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 20; k++) { // straight to the server, past the balancer: pooled connections, warm JIT
          get(client, b.servers.get(i).url("/").toString());
        }
      }
      b.delaysMillis.get(0).set(50);
      int before = b.servers.get(0).getRequestCount();
      for (int i = 0; i < REQUESTS; i++) {
        get(client, "http://orders/");
      }
      int slow = b.servers.get(0).getRequestCount() - before;
      assertTrue(slow >= 1, "newcomers are tried: the slow server got its first request");
      assertTrue(slow < REQUESTS / 10, "the slow server got " + slow + " of " + REQUESTS + " requests");
      for (int i = 0; i < 4; i++) {
        assertEquals(0, lb.inFlight(b.endpoint(i)), "every call released");
      }
    }
  }
}
