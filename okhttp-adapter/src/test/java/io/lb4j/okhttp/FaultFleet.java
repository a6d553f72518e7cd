package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Real loopback backends that misbehave on command (503 with a probability, slow answers, stopped
 * and restarted on the same port, or a port nobody listens on) and a closed-loop driver that sends
 * GETs through {@link LoadBalancingInterceptor} from several threads and counts what the callers see
 * and how many attempts each request made. For the fault-injection tests of issue 10.
 */
final class FaultFleet implements AutoCloseable {

  /** One backend on a fixed loopback port. {@code /health} answers 200 whenever it listens. */
  static final class Server implements AutoCloseable {
    final String label;
    final int port;
    volatile double failureProbability;
    volatile long delayMillis;
    private final SplittableRandom random;
    private MockWebServer server;

    private Server(String label, long seed, long delayMillis, boolean listening) throws IOException {
      this.label = label;
      this.random = new SplittableRandom(seed);
      this.delayMillis = delayMillis;
      if (listening) {
        start(0);
        this.port = server.getPort();
      } else {
        this.port = Backends.closedPort();
      }
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", port);
    }

    private void start(int onPort) throws IOException {
      MockWebServer s = Backends.noDelayServer();
      s.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          if ("/health".equals(request.getUrl().encodedPath())) {
            return new MockResponse.Builder().code(200).body("ok").build();
          }
          if (fail()) {
            return new MockResponse.Builder().code(503).body("unavailable").build();
          }
          return new MockResponse.Builder().code(200).body("from " + label)
              .headersDelay(delayMillis, TimeUnit.MILLISECONDS).build();
        }
      });
      s.start(InetAddress.getByName("127.0.0.1"), onPort);
      server = s;
    }

    private boolean fail() {
      double p = failureProbability;
      if (p <= 0) {
        return false;
      }
      synchronized (random) {
        return random.nextDouble() < p;
      }
    }

    /** Stops listening: connections in use are reset, new ones refused. */
    synchronized void stop() {
      if (server != null) {
        server.close();
        server = null;
      }
    }

    /** Listens again on the same port. */
    synchronized void restart() throws IOException {
      if (server == null) {
        start(port);
      }
    }

    @Override
    public void close() {
      stop();
    }
  }

  /** What the callers saw in one run. */
  record Run(int requests, int ok, Map<String, Integer> failures, int maxAttempts, int attempts) {
    double successRate() {
      return (double) ok / requests;
    }

    @Override
    public String toString() {
      return ok + "/" + requests + " ok (" + String.format(java.util.Locale.ROOT, "%.2f", 100.0 * ok / requests)
          + " %), failures " + failures + ", attempts " + attempts + ", most attempts for one request " + maxAttempts;
    }
  }

  final List<Server> servers = new ArrayList<>();
  final List<String> ejected = new CopyOnWriteArrayList<>();
  final AtomicInteger panics = new AtomicInteger();
  private final List<OkHttpClient> clients = new ArrayList<>();
  private long seed = 1;

  /** A backend answering 200 after {@code delayMillis}. */
  Server healthy(String label, long delayMillis) throws IOException {
    Server s = new Server(label, seed++, delayMillis, true);
    servers.add(s);
    return s;
  }

  /** A loopback port with nothing listening. */
  Server closedPort(String label) throws IOException {
    Server s = new Server(label, seed++, 0, false);
    servers.add(s);
    return s;
  }

  List<Endpoint> endpoints() {
    return servers.stream().map(Server::endpoint).toList();
  }

  /** Records ejections and panic entries. */
  LoadBalancerListener listener() {
    return new LoadBalancerListener() {
      @Override
      public void onStatusChange(String lb, Endpoint e, EndpointStatus from, EndpointStatus to, String reason) {
        if (to == EndpointStatus.EJECTED) {
          ejected.add(label(e));
        }
      }

      @Override
      public void onPanic(String lb, boolean panic, int eligible, int total) {
        if (panic) {
          panics.incrementAndGet();
        }
      }
    };
  }

  String label(Endpoint e) {
    for (Server s : servers) {
      if (s.port == e.port()) {
        return s.label;
      }
    }
    return e.address();
  }

  /** A plain client for health probes; closed with the fleet. */
  OkHttpClient probeClient() {
    OkHttpClient c = new OkHttpClient();
    clients.add(c);
    return c;
  }

  /**
   * A client as a new user builds it (OkHttp defaults plus the interceptor), with an inner
   * interceptor that records the highest attempt number of each call and counts attempts.
   */
  OkHttpClient client(LoadBalancingInterceptor lb, AtomicInteger maxAttempt, AtomicInteger attempts) {
    Interceptor counting = chain -> {
      Lb4jTag tag = chain.request().tag(Lb4jTag.class);
      if (tag != null) {
        attempts.incrementAndGet();
        maxAttempt.accumulateAndGet(tag.attempt(), Math::max);
      }
      return chain.proceed(chain.request());
    };
    OkHttpClient c = new OkHttpClient.Builder().addInterceptor(lb).addInterceptor(counting)
        .callTimeout(java.time.Duration.ofSeconds(10)).build();
    clients.add(c);
    return c;
  }

  /**
   * Sends {@code requests} GETs to {@code http://svc/work} from {@code threads} threads, one after
   * another per thread, calling {@code onCompleted} with the number completed so far after each.
   * Bounded: every call has a 10 s call timeout and the whole run must end within {@code limitSeconds}.
   */
  Run run(LoadBalancingInterceptor interceptor, int threads, int requests, long limitSeconds, IntConsumer onCompleted)
      throws Exception {
    AtomicInteger maxAttempt = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    OkHttpClient client = client(interceptor, maxAttempt, attempts);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          while (next.getAndIncrement() < requests) {
            String failure = null;
            try (Response r = client.newCall(new Request.Builder().url("http://svc/work").build()).execute()) {
              r.body().string();
              if (r.code() != 200) {
                failure = "HTTP " + r.code();
              }
            } catch (IOException e) {
              failure = e instanceof InterruptedIOException ? "timeout" : e.getClass().getSimpleName();
            }
            if (failure == null) {
              ok.incrementAndGet();
            } else {
              failures.merge(failure, 1, Integer::sum);
            }
            onCompleted.accept(done.incrementAndGet());
          }
          return null;
        }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
      for (Future<?> f : futures) {
        long left = deadline - System.nanoTime();
        try {
          f.get(Math.max(1, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          throw new AssertionError("the run did not end within " + limitSeconds + " s: " + done.get() + " of "
              + requests + " done", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Run(requests, ok.get(), Map.copyOf(failures), maxAttempt.get(), attempts.get());
  }

  /** The sum of every endpoint's in-flight count. */
  static int inFlight(LoadBalancer lb) {
    int n = 0;
    for (Endpoint e : lb.endpoints()) {
      n += lb.inFlight(e);
    }
    return n;
  }

  @Override
  public void close() {
    for (Server s : servers) {
      s.close();
    }
    for (OkHttpClient c : clients) {
      c.dispatcher().executorService().shutdownNow();
      c.connectionPool().evictAll();
    }
  }
}
