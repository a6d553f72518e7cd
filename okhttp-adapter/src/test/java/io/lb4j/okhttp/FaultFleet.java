package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
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
    /** Requests (not health checks) this backend has answered, across restarts. */
    final AtomicInteger served = new AtomicInteger();
    private final SplittableRandom random;
    private MockWebServer server;

    private Server(String label, long seed, long delayMillis, int port) throws IOException {
      this.label = label;
      this.random = new SplittableRandom(seed);
      this.delayMillis = delayMillis;
      if (port >= 0) {
        start(port);
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
          served.incrementAndGet();
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

  /**
   * What the callers saw in one run: failures by kind ({@code "HTTP 503"}, an exception's simple
   * class name, or {@code "timeout"}) with the first message of each kind.
   */
  record Run(int requests, int ok, Map<String, Integer> failures, Map<String, String> messages, int maxAttempts,
      int attempts) {
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
    Server s = new Server(label, seed++, delayMillis, 0);
    servers.add(s);
    return s;
  }

  /**
   * A backend answering 200 after {@code delayMillis}, on a port below the kernel's ephemeral range,
   * so that while it is stopped no outgoing connection (of this test or another process) can be
   * given its port and its {@link Server#restart() restart} finds the port free.
   */
  Server restartable(String label, long delayMillis) throws IOException {
    int low = ephemeralLow();
    SplittableRandom r = new SplittableRandom(System.nanoTime());
    IOException last = null;
    for (int tries = 0; tries < 50; tries++) {
      int port = r.nextInt(Math.max(1025, low - 10_000), low);
      try {
        Server s = new Server(label, seed++, delayMillis, port);
        servers.add(s);
        return s;
      } catch (IOException taken) {
        last = taken;
      }
    }
    throw new IOException("no free port below " + low + " in 50 tries", last);
  }

  private static int ephemeralLow() {
    try {
      // readAllLines, not readString: procfs reports size 0, which readString trusts.
      String range = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
          .get(0);
      return Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32768; // Linux's default
    }
  }

  /** A loopback port with nothing listening. */
  Server closedPort(String label) throws IOException {
    Server s = new Server(label, seed++, 0, -1);
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

  /** Failed probes in a row, by backend port, as seen by {@link #watched}. */
  final Map<Integer, AtomicInteger> failedProbesInARow = new ConcurrentHashMap<>();

  /**
   * The probe, counting each backend's failed probes in a row in {@link #failedProbesInARow} as
   * its answers come in (just before the health checker records them).
   */
  HealthProbe watched(HealthProbe probe) {
    return e -> probe.probe(e).whenComplete((r, ex) -> {
      AtomicInteger n = failedProbesInARow.computeIfAbsent(e.port(), p -> new AtomicInteger());
      if (r != null && r.status() == ProbeResult.Status.HEALTHY) {
        n.set(0);
      } else {
        n.incrementAndGet();
      }
    });
  }

  /** Failed probes in a row of the backend. */
  int failedProbes(Server s) {
    AtomicInteger n = failedProbesInARow.get(s.port);
    return n == null ? 0 : n.get();
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

  /** {@link #run(LoadBalancingInterceptor, int, int, long, IntConsumer, BooleanSupplier)} to the end. */
  Run run(LoadBalancingInterceptor interceptor, int threads, int requests, long limitSeconds, IntConsumer onCompleted)
      throws Exception {
    return run(interceptor, threads, requests, limitSeconds, onCompleted, () -> false);
  }

  /**
   * Sends up to {@code requests} GETs to {@code http://svc/work} from {@code threads} threads, one
   * after another per thread, calling {@code onCompleted} with the number completed so far after
   * each, until all are sent or {@code enough} says so. Bounded: every call has a 10 s call timeout
   * and the whole run must end within {@code limitSeconds}.
   */
  Run run(LoadBalancingInterceptor interceptor, int threads, int requests, long limitSeconds, IntConsumer onCompleted,
      BooleanSupplier enough) throws Exception {
    AtomicInteger maxAttempt = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    OkHttpClient client = client(interceptor, maxAttempt, attempts);
    Tally tally = new Tally();
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean broken = new AtomicBoolean(); // a worker threw: the others stop too
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          try {
            while (!broken.get() && !enough.getAsBoolean() && next.getAndIncrement() < requests) {
              onCompleted.accept(tally.add(send(client)));
            }
          } catch (RuntimeException | Error e) {
            broken.set(true);
            throw e;
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
          throw new AssertionError("the run did not end within " + limitSeconds + " s: " + tally.done.get()
              + " of " + requests + " done", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Run(tally.done.get(), tally.ok.get(), Map.copyOf(tally.failures), Map.copyOf(tally.messages),
        maxAttempt.get(), attempts.get());
  }

  /** One GET; returns null on a 200, else the failure kind and message. */
  private static String[] send(OkHttpClient client) {
    try (Response r = client.newCall(new Request.Builder().url("http://svc/work").build()).execute()) {
      String body = r.body().string();
      return r.code() == 200 ? null : new String[] {"HTTP " + r.code(), body};
    } catch (IOException e) {
      return new String[] {e instanceof InterruptedIOException ? "timeout" : e.getClass().getSimpleName(),
          String.valueOf(e.getMessage())};
    }
  }

  /** What the callers saw so far; thread-safe. */
  private static final class Tally {
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger ok = new AtomicInteger();
    final Map<String, Integer> failures = new ConcurrentHashMap<>();
    final Map<String, String> messages = new ConcurrentHashMap<>();

    /** Counts one result; returns the number of requests completed. */
    int add(String[] failure) {
      if (failure == null) {
        ok.incrementAndGet();
      } else {
        failures.merge(failure[0], 1, Integer::sum);
        messages.putIfAbsent(failure[0], failure[1]);
      }
      return done.incrementAndGet();
    }
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
