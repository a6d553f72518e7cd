package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policy;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The live demo (README's first command): six HTTP backends on 127.0.0.1 — {@code b1} slow (40 ms
 * instead of 2 ms), {@code b2} answering 503 from half-way, {@code b3} dying at a quarter of the run
 * and coming back at 60 % — and real HTTP requests through lb4j for round robin, P2C, least
 * request and Maglev (keyed by one of 1,000 user ids), each with outlier detection and up to 3
 * attempts per request. Prints a progress bar, then one table: attempts per backend, caller-seen
 * latency p50/p99, errors seen by the caller, retries, ejections. Takes about 40 s; exits 0.
 *
 * <p>Requests go through {@link java.net.http.HttpClient} with {@link LoadBalancer#pick} and
 * {@link Selection#release} called directly (a simple retry loop on a fresh pick), so every number
 * comes from lb4j's real pickers and outlier detector.
 *
 * <p>Arguments: {@code [secondsPerPolicy]} (default 8).
 */
public final class Demo {

  private static final List<String> POLICIES = List.of("round_robin", "p2c", "least_request", "maglev");
  private static final int CLIENTS = 6;
  private static final int MAX_ATTEMPTS = 3;
  private static final int USERS = 1000;

  private Demo() {}

  /** Runs the demo; see the class comment. */
  public static void main(String[] args) throws Exception {
    // Ejections are counted in the table; per-event INFO lines would break the progress bar.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long runMillis = args.length > 0 ? Math.round(Double.parseDouble(args[0]) * 1000) : 8_000;
    PrintStream out = System.out;
    List<LoopbackBackend> backends = new ArrayList<>();
    String[] labels = {"b0", "b1 slow", "b2 fails", "b3 dies", "b4", "b5"};
    for (String label : labels) {
      backends.add(new LoopbackBackend(label, label.contains("slow") ? 40 : 2));
    }
    out.printf("lb4j live demo: 6 backends on 127.0.0.1 (ports %s), %d clients, %.0f s per policy%n",
        backends.stream().map(b -> String.valueOf(b.port())).toList(), CLIENTS, runMillis / 1000.0);
    out.println("  b1: 40 ms per request (others 2 ms); b2: 503 from 50 % of the run; b3: down from 25 % to 60 %");
    List<Row> rows = new ArrayList<>();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500))
        .version(HttpClient.Version.HTTP_1_1).build();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      for (String name : POLICIES) {
        rows.add(runPolicy(name, backends, http, clients, runMillis, out));
      }
    } finally {
      clients.shutdownNow();
      backends.forEach(LoopbackBackend::close);
    }
    printTable(out, labels, rows);
    out.println("Policies without latency awareness keep sending the slow b1 its share; outlier detection");
    out.println("ejects b2 and b3 while they fail, so callers see few errors (retries pick again).");
  }

  private static Row runPolicy(String name, List<LoopbackBackend> backends, HttpClient http,
      ExecutorService clients, long runMillis, PrintStream out) throws Exception {
    List<Endpoint> endpoints = new ArrayList<>();
    for (LoopbackBackend b : backends) {
      b.failing(false);
      b.start();
      endpoints.add(Endpoint.of("127.0.0.1", b.port()));
    }
    AtomicInteger ejections = new AtomicInteger();
    Policy policy = PolicyNames.of(name);
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .consecutiveFailures(5).consecutiveLocalFailures(3)
        .interval(Duration.ofMillis(500)).baseEjectionTime(Duration.ofSeconds(2))
        .maxEjectionPercent(50).build();
    Row row = new Row(name, backends.size());
    try (LoadBalancer lb = LoadBalancer.builder().name("demo-" + name).endpoints(endpoints).policy(policy)
        .outlierDetection(od)
        .listener(new LoadBalancerListener() {
          @Override
          public void onStatusChange(String lbName, Endpoint e, EndpointStatus from, EndpointStatus to, String why) {
            if (to == EndpointStatus.EJECTED) {
              ejections.incrementAndGet();
            }
          }
        }).build()) {
      long start = System.nanoTime();
      long end = start + TimeUnit.MILLISECONDS.toNanos(runMillis);
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        long seed = c;
        futures.add(clients.submit(() -> clientLoop(lb, http, endpoints, row, end, new SplittableRandom(seed))));
      }
      boolean died = false;
      boolean back = false;
      boolean failing = false;
      while (System.nanoTime() < end) {
        double progress = (double) (System.nanoTime() - start) / (end - start);
        if (!died && progress >= 0.25) {
          backends.get(3).stop();
          died = true;
        }
        if (!failing && progress >= 0.5) {
          backends.get(2).failing(true);
          failing = true;
        }
        if (!back && progress >= 0.6) {
          backends.get(3).start();
          back = true;
        }
        progressBar(out, name, progress, row.completed.sum());
        Thread.sleep(100); // progress refresh interval, not synchronisation
      }
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      progressBar(out, name, 1.0, row.completed.sum());
      out.println();
    } catch (UnsupportedOperationException e) {
      out.printf("%-14s skipped: %s%n", name, e.getMessage());
      row.skipped = true;
    }
    row.ejections = ejections.get();
    return row;
  }

  private static void clientLoop(LoadBalancer lb, HttpClient http, List<Endpoint> endpoints, Row row, long end,
      SplittableRandom random) {
    while (System.nanoTime() < end) {
      String user = "user-" + random.nextInt(USERS);
      PickContext ctx = PickContext.ofKey(user);
      long t0 = System.nanoTime();
      boolean ok = false;
      for (int attempt = 1; attempt <= MAX_ATTEMPTS && !ok; attempt++) {
        if (attempt > 1) {
          row.retries.increment();
        }
        Selection s;
        try {
          s = lb.pick(ctx);
        } catch (NoEndpointAvailableException e) {
          break;
        }
        row.attempts[endpoints.indexOf(s.endpoint())].increment();
        long a0 = System.nanoTime();
        Outcome outcome;
        try {
          HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(
              "http://" + s.endpoint().address() + "/hello?user=" + user)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
          outcome = r.statusCode() >= 500 ? Outcome.SERVER_ERROR : Outcome.SUCCESS;
        } catch (HttpTimeoutException e) {
          outcome = Outcome.TIMEOUT;
        } catch (ConnectException e) {
          outcome = Outcome.CONNECT_FAILURE;
        } catch (IOException e) {
          outcome = Outcome.CONNECT_FAILURE;
        } catch (InterruptedException e) {
          s.release(Outcome.CANCELLED, System.nanoTime() - a0);
          Thread.currentThread().interrupt();
          return;
        }
        s.release(outcome, System.nanoTime() - a0);
        ok = outcome == Outcome.SUCCESS;
      }
      row.record(System.nanoTime() - t0, ok);
    }
  }

  private static void progressBar(PrintStream out, String name, double progress, long done) {
    int width = 30;
    int filled = (int) Math.min(width, Math.round(progress * width));
    out.printf("\r%-14s [%s%s] %3d%%  %,d requests", name, "#".repeat(filled), ".".repeat(width - filled),
        Math.round(Math.min(1.0, progress) * 100), done);
    out.flush();
  }

  private static void printTable(PrintStream out, String[] labels, List<Row> rows) {
    out.println();
    StringBuilder header = new StringBuilder(String.format("%-14s", "policy"));
    for (String l : labels) {
      header.append(String.format(" %9s", l));
    }
    header.append(String.format(" %9s %8s %8s %7s %8s %9s", "requests", "p50 ms", "p99 ms", "errors", "retries",
        "ejections"));
    out.println(header);
    out.println("-".repeat(header.length()));
    for (Row r : rows) {
      if (r.skipped) {
        out.printf("%-14s (not implemented yet)%n", r.name);
        continue;
      }
      StringBuilder line = new StringBuilder(String.format("%-14s", r.name));
      for (LongAdder a : r.attempts) {
        line.append(String.format(" %9d", a.sum()));
      }
      long[] lat = r.sortedLatencies();
      line.append(String.format(" %9d %8.1f %8.1f %7d %8d %9d", r.completed.sum(), pct(lat, 0.50) / 1e6,
          pct(lat, 0.99) / 1e6, r.errors.sum(), r.retries.sum(), r.ejections));
      out.println(line);
    }
    out.println("(columns b0..b5: attempts sent to each backend; errors: requests failed after all "
        + MAX_ATTEMPTS + " attempts)");
  }

  static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)];
  }

  /** One policy's results; updated concurrently by the client threads. */
  private static final class Row {
    final String name;
    final LongAdder[] attempts;
    final LongAdder completed = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder retries = new LongAdder();
    final long[] latencies = new long[1 << 20]; // first million requests; more is not needed
    final AtomicInteger recorded = new AtomicInteger();
    int ejections;
    boolean skipped;

    Row(String name, int backends) {
      this.name = name;
      this.attempts = new LongAdder[backends];
      for (int i = 0; i < backends; i++) {
        attempts[i] = new LongAdder();
      }
    }

    void record(long nanos, boolean ok) {
      completed.increment();
      if (!ok) {
        errors.increment();
      }
      int i = recorded.getAndIncrement();
      if (i < latencies.length) {
        latencies[i] = nanos;
      }
    }

    long[] sortedLatencies() {
      long[] all = Arrays.copyOf(latencies, Math.min(recorded.get(), latencies.length));
      Arrays.sort(all);
      return all;
    }
  }
}
