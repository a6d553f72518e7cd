package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** Real loopback HTTP servers for the adapter tests, each answering with a fixed (changeable) status. */
final class Backends implements AutoCloseable {

  final List<MockWebServer> servers = new ArrayList<>();
  final List<AtomicInteger> codes = new ArrayList<>();
  /** Per server, how long it waits before answering, in milliseconds (0 = at once). */
  final List<AtomicLong> delaysMillis = new ArrayList<>();

  Backends(int count) throws IOException {
    for (int i = 0; i < count; i++) {
      add(200);
    }
  }

  MockWebServer add(int code) throws IOException {
    return add(code, null);
  }

  /** A server answering {@code code}; over TLS with {@code tls}'s certificate when not null. */
  MockWebServer add(int code, SSLSocketFactory tls) throws IOException {
    MockWebServer s = noDelayServer();
    if (tls != null) {
      s.useHttps(tls);
    }
    AtomicInteger c = new AtomicInteger(code);
    AtomicLong delay = new AtomicLong();
    s.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return new MockResponse.Builder().code(c.get()).body("from " + s.getPort())
            .headersDelay(delay.get(), TimeUnit.MILLISECONDS).build();
      }
    });
    s.start(InetAddress.getByName("127.0.0.1"), 0);
    servers.add(s);
    codes.add(c);
    delaysMillis.add(delay);
    return s;
  }

  Endpoint endpoint(int i) {
    return Endpoint.of("127.0.0.1", servers.get(i).getPort());
  }

  List<Endpoint> endpoints() {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < servers.size(); i++) {
      out.add(endpoint(i));
    }
    return out;
  }

  int totalRequests() {
    int n = 0;
    for (MockWebServer s : servers) {
      n += s.getRequestCount();
    }
    return n;
  }

  /**
   * A MockWebServer whose accepted sockets set TCP_NODELAY: without it the server's small writes
   * meet the client's delayed ACK and every exchange takes ~40 ms, which made the tests slow.
   */
  static MockWebServer noDelayServer() {
    MockWebServer s = new MockWebServer();
    s.setServerSocketFactory(new ServerSocketFactory() {
      @Override
      public ServerSocket createServerSocket() throws IOException {
        ServerSocket socket = new ServerSocket() {
          @Override
          public Socket accept() throws IOException {
            Socket accepted = super.accept();
            accepted.setTcpNoDelay(true);
            return accepted;
          }
        };
        socket.setReuseAddress(true); // a restart on the same port must not wait out TIME_WAIT
        return socket;
      }

      @Override
      public ServerSocket createServerSocket(int port) {
        throw new UnsupportedOperationException();
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog) {
        throw new UnsupportedOperationException();
      }

      @Override
      public ServerSocket createServerSocket(int port, int backlog, InetAddress address) {
        throw new UnsupportedOperationException();
      }
    });
    return s;
  }

  /** A loopback port with nothing listening (bound, then closed). */
  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (MockWebServer s : servers) {
      s.close();
    }
  }
}
