package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.TestPolicies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.CertificatePinner;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HTTPS through the interceptor against real TLS servers on 127.0.0.1 whose certificates name the
 * service, not the IP: the connection goes to the picked endpoint, SNI and verification use the
 * service's name with the client's own TLS settings.
 */
class LoadBalancingInterceptorTlsTest {

  private static final String SERVICE = "orders.internal";
  private static final String URL = "https://orders.internal/api";
  private static final RetryPolicy FAST_RETRY = RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build();

  private final TlsFixture tls = new TlsFixture();
  private final Backends backends;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  LoadBalancingInterceptorTlsTest() throws IOException {
    backends = new Backends(0);
    closeables.add(backends);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private void servers(int n, String name, HeldCertificate signer) throws IOException {
    for (int i = 0; i < n; i++) {
      backends.add(200, tls.server(name, signer));
    }
  }

  private final FakeClock clock = new FakeClock();

  private LoadBalancer lb(OutlierDetectionConfig od) {
    LoadBalancer.Builder b = LoadBalancer.builder().name(SERVICE).endpoints(backends.endpoints())
        .policy(TestPolicies.roundRobin()).ticker(clock).scheduler(clock);
    if (od != null) {
      b.outlierDetection(od);
    }
    LoadBalancer lb = b.build();
    closeables.add(lb);
    return lb;
  }

  private OkHttpClient client(OkHttpClient.Builder base, LoadBalancer lb) {
    OkHttpClient c = base.addInterceptor(LoadBalancingInterceptor.builder().service(SERVICE, lb).retry(FAST_RETRY).build())
        .retryOnConnectionFailure(false).callTimeout(Duration.ofSeconds(10)).build();
    closeables.add(() -> {
      c.dispatcher().executorService().shutdown();
      c.connectionPool().evictAll();
    });
    return c;
  }

  private static int get(OkHttpClient client) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(URL).build()).execute()) {
      r.body().string();
      return r.code();
    }
  }

  private static List<RecordedRequest> taken(MockWebServer s) throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    for (int i = 0; i < s.getRequestCount(); i++) {
      out.add(s.takeRequest(5, TimeUnit.SECONDS));
    }
    return out;
  }

  /** The request's authority: Host over HTTP/1.1, :authority over HTTP/2 (negotiated by ALPN). */
  private static String authority(RecordedRequest r) {
    String host = r.getHeaders().get("Host");
    return host != null ? host : r.getHeaders().get(":authority");
  }

  @Test
  void thirtyGetsAreBalancedAndEachServerSeesTheServiceNameAsSni() throws Exception {
    servers(3, SERVICE, tls.root);
    OkHttpClient client = client(tls.client(false), lb(null));
    for (int i = 0; i < 30; i++) {
      assertEquals(200, get(client), "request " + i);
    }
    for (MockWebServer s : backends.servers) {
      assertEquals(10, s.getRequestCount(), "requests at " + s.getPort());
      Set<Integer> connections = new HashSet<>();
      for (RecordedRequest r : taken(s)) {
        assertEquals(List.of(SERVICE), r.getHandshakeServerNames(), "SNI");
        assertEquals(SERVICE, authority(r), "Host is the service's authority: " + r.getHeaders());
        connections.add(r.getConnectionIndex());
      }
      assertEquals(1, connections.size(), "one connection per endpoint, reused");
    }
    assertEquals(3, client.connectionPool().connectionCount());
    assertEquals(Set.of(SERVICE), new HashSet<>(tls.verified), "the client's own verifier checked the service name");
  }

  @Test
  void backendWithAnotherNamesCertificateGetsNothingAndIsEjected() throws Exception {
    servers(3, SERVICE, tls.root);
    MockWebServer evil = backends.add(200, tls.server("evil.internal"));
    Endpoint evilEndpoint = backends.endpoint(3);
    LoadBalancer lb = lb(OutlierDetectionConfig.builder().consecutiveFailures(3).consecutiveLocalFailures(3).build());
    OkHttpClient client = client(tls.client(false), lb);
    for (int i = 0; i < 40; i++) {
      assertEquals(200, get(client), "request " + i + " succeeded through a retry");
      clock.runDue(); // the rebuild an ejecting release asked for
    }
    assertEquals(0, evil.getRequestCount(), "the mismatching backend never received a request");
    assertEquals(EndpointStatus.EJECTED, lb.status(evilEndpoint));
    assertEquals(3, lb.requests(evilEndpoint, Outcome.CONNECT_FAILURE));
    assertEquals(40, backends.totalRequests());
  }

  @Test
  void handshakeFailureNamesEndpointExpectedNameAndWhatTheCertificatePresented() throws Exception {
    servers(1, "evil.internal", tls.root);
    OkHttpClient client = client(tls.client(false), lb(null));
    SSLPeerUnverifiedException e = assertThrows(SSLPeerUnverifiedException.class, () -> get(client));
    String m = e.getMessage();
    assertTrue(m.contains(backends.endpoint(0).address()) && m.contains("expected name " + SERVICE)
        && m.contains("evil.internal") && !m.contains("\n"), m);
    assertInstanceOf(SSLPeerUnverifiedException.class, e.getCause());
  }

  @Test
  void untrustedCertificateAuthorityFailsEveryCall() throws Exception {
    servers(3, SERVICE, tls.untrustedRoot);
    LoadBalancer lb = lb(null);
    OkHttpClient client = client(tls.client(false), lb);
    for (int i = 0; i < 6; i++) {
      SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> get(client));
      assertTrue(e.getMessage().contains("expected name " + SERVICE), e.getMessage());
    }
    assertEquals(0, backends.totalRequests());
    for (Endpoint ep : backends.endpoints()) {
      assertEquals(0, lb.requests(ep, Outcome.SUCCESS));
      assertEquals(0, lb.inFlight(ep));
    }
  }

  @Test
  void mutualTlsPresentsTheClientsCertificateAndFailsWithoutOne() throws Exception {
    servers(2, SERVICE, tls.root);
    backends.servers.forEach(MockWebServer::requireClientAuth);
    LoadBalancer lb = lb(null);
    OkHttpClient withCert = client(tls.client(true), lb);
    for (int i = 0; i < 4; i++) {
      assertEquals(200, get(withCert));
    }
    for (MockWebServer s : backends.servers) {
      for (RecordedRequest r : taken(s)) {
        assertEquals("CN=orders-client", r.getHandshake().peerPrincipal().getName());
      }
    }
    OkHttpClient withoutCert = client(tls.client(false), lb);
    for (int i = 0; i < 4; i++) {
      assertThrows(IOException.class, () -> get(withoutCert));
    }
    assertEquals(4, backends.totalRequests(), "no request got through without a client certificate");
  }

  @Test
  void certificatePinsOfTheServiceNameApply() throws Exception {
    servers(2, SERVICE, tls.root);
    LoadBalancer lb = lb(null);
    OkHttpClient pinned = client(tls.client(false).certificatePinner(new CertificatePinner.Builder()
        .add(SERVICE, CertificatePinner.pin(tls.root.certificate())).build()), lb);
    assertEquals(200, get(pinned));
    OkHttpClient wrongPin = client(tls.client(false).certificatePinner(new CertificatePinner.Builder()
        .add(SERVICE, CertificatePinner.pin(tls.untrustedRoot.certificate())).build()), lb);
    SSLException e = assertThrows(SSLPeerUnverifiedException.class, () -> get(wrongPin));
    assertTrue(e.getMessage().contains("pinning"), e.getMessage());
    assertEquals(1, backends.totalRequests());
  }

  @Test
  void endpointWithItsOwnServerNameIsVerifiedAgainstIt() throws Exception {
    backends.add(200, tls.server("node1.orders.internal"));
    LoadBalancer lb = LoadBalancer.builder().name(SERVICE)
        .endpoints(List.of(backends.endpoint(0).withServerName("node1.orders.internal"))).build();
    closeables.add(lb);
    OkHttpClient client = client(tls.client(false), lb);
    assertEquals(200, get(client));
    RecordedRequest r = backends.servers.get(0).takeRequest(5, TimeUnit.SECONDS);
    assertEquals(List.of("node1.orders.internal"), r.getHandshakeServerNames());
    assertEquals(SERVICE, authority(r), "Host stays the service's authority: " + r.getHeaders());
  }
}
