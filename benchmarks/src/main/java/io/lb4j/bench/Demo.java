package io.lb4j.bench;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.bench.sim.LiveRun;
import io.lb4j.bench.sim.Scenario;
import io.lb4j.bench.sim.SimResult;
import io.lb4j.bench.sim.Simulator;
import io.lb4j.okhttp.HashKeys;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.okhttp.RetryPolicy;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policy;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The live demo (README's first command): six HTTP backends on 127.0.0.1 — {@code b1} slow (40 ms
 * instead of 2 ms), {@code b2} answering 503 from half-way, {@code b3} dying at a quarter of the run
 * and coming back at 60 % — and real OkHttp requests through lb4j for round robin, P2C, least
 * request and Maglev (keyed by one of 1,000 user ids), each with outlier detection and up to 3
 * attempts per request. Shows progress (a redrawn bar on a terminal, otherwise one line every
 * {@value #PROGRESS_LINE_SECONDS} s, so that a CI log gets a few lines, not hundreds of redraws),
 * then one table: attempts per backend, caller-seen latency p50/p99, errors seen by the caller,
 * retries, ejections, and one sentence saying what it shows. Then runs the {@link Simulator
 * simulator}'s standard scenarios and writes one HTML report with both: the live table and each
 * backend's load over time per policy, then the scenarios ({@code
 * benchmarks/target/lb4j-sim-report.html}). Takes about 70 s; exits 0.
 *
 * <p>Requests are real OkHttp calls to {@code http://demo/...} through lb4j's
 * {@link LoadBalancingInterceptor} (retries on other endpoints with backoff and the retry budget;
 * Maglev hashes the {@code user} query parameter), so every number comes from lb4j's real pickers,
 * outlier detector and retry logic.
 *
 * <p>Arguments: {@code [secondsPerPolicy] [reportPath]} (defaults 8 and
 * {@code benchmarks/target/lb4j-sim-report.html}).
 */
public final class Demo {

  private static final List<String> POLICIES = List.of("round_robin", "p2c", "least_request", "peak_ewma", "maglev");
  private static final int CLIENTS = 6;
  private static final int MAX_ATTEMPTS = 3;
  private static final int USERS = 1000;
  /** Without a terminal, one progress line per this many seconds. */
  static final int PROGRESS_LINE_SECONDS = 5;
  /** Time buckets per policy run for the report's load-over-time charts. */
  private static final int BUCKETS = 40;
  private static final List<LiveRun.Event> EVENTS = List.of(
      new LiveRun.Event(0.25, "b3 dies"), new LiveRun.Event(0.5, "b2 fails"), new LiveRun.Event(0.6, "b3 back"));
  private static final String SETUP = "Six HTTP backends: b1 takes 40 ms per request (the others 2 ms), b2 answers "
      + "503 from half-way through each run, b3 is down from a quarter to 60 % of it; six client threads send "
      + "requests back to back, keyed by one of 1,000 user ids (Maglev hashes it).";

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
    boolean terminal = isTerminal();
    List<Row> rows = new ArrayList<>();
    OkHttpClient http = new OkHttpClient.Builder().connectTimeout(Duration.ofMillis(500))
        .readTimeout(Duration.ofSeconds(2)).build();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      for (String name : POLICIES) {
        rows.add(runPolicy(name, backends, http, clients, runMillis, out, terminal));
      }
    } finally {
      clients.shutdownNow();
      http.dispatcher().executorService().shutdown();
      http.connectionPool().evictAll();
      backends.forEach(LoopbackBackend::close);
    }
    printTable(out, labels, rows);
    LiveRun live = new LiveRun(SETUP, Arrays.asList(labels), 1, EVENTS, runMillis / 1000.0, MAX_ATTEMPTS,
        rows.stream().map(Row::toPolicyRun).toList());
    out.println(live.finding());
    out.println();
    out.printf("Simulating every policy on simulated time (%d scenarios, lb4j's real balancer)...%n",
        Scenario.standard().size());
    Map<Scenario, List<SimResult>> sim = Simulator.run(Scenario.standard(), PolicyNames.ALL, 1);
    Path reportPath = args.length > 1 ? Path.of(args[1]) : Path.of("benchmarks", "target", "lb4j-sim-report.html");
    Path report = Simulator.write(reportPath, live, sim,
        "written by the lb4j live demo; simulator seed 1");
    out.println("HTML report (the live table and load over time, then the simulator's scenarios): "
        + report.toAbsolutePath());
  }

  private static Row runPolicy(String name, List<LoopbackBackend> backends, OkHttpClient http,
      ExecutorService clients, long runMillis, PrintStream out, boolean terminal) throws Exception {
    List<Endpoint> endpoints = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (LoopbackBackend b : backends) {
      b.failing(false);
      b.start();
      endpoints.add(Endpoint.of("127.0.0.1", b.port()));
      ports.add(b.port());
    }
    AtomicInteger ejections = new AtomicInteger();
    Policy policy = PolicyNames.of(name);
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .consecutiveFailures(5).consecutiveLocalFailures(3)
        .interval(Duration.ofMillis(500)).baseEjectionTime(Duration.ofSeconds(2))
        .maxEjectionPercent(50).build();
    Row row = new Row(name, backends.size(), TimeUnit.MILLISECONDS.toNanos(runMillis));
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
      row.start = start;
      OkHttpClient client = http.newBuilder()
          .addInterceptor(LoadBalancingInterceptor.builder()
              .service("demo", lb)
              .retry(RetryPolicy.builder().maxAttempts(MAX_ATTEMPTS)
                  .backoff(Duration.ofMillis(5), Duration.ofMillis(100)).build())
              .hashKey(HashKeys.queryParameter("user"))
              .build())
          .addInterceptor(chain -> { // inside the balancer's interceptor: sees every attempt's endpoint
            row.attempt(ports.indexOf(chain.request().url().port()));
            return chain.proceed(chain.request());
          })
          .build();
      List<Future<?>> futures = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        long seed = c;
        futures.add(clients.submit(() -> clientLoop(client, row, end, new SplittableRandom(seed))));
      }
      boolean died = false;
      boolean back = false;
      boolean failing = false;
      long lastLine = start;
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
        if (terminal) {
          progressBar(out, name, progress, row.completed.sum());
        } else if (System.nanoTime() - lastLine >= TimeUnit.SECONDS.toNanos(PROGRESS_LINE_SECONDS)) {
          lastLine = System.nanoTime();
          out.printf("%-14s %3d%%  %,d requests%n", name, Math.round(progress * 100), row.completed.sum());
        }
        Thread.sleep(100); // progress refresh interval, not synchronisation
      }
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
      if (terminal) {
        progressBar(out, name, 1.0, row.completed.sum());
        out.println();
      } else {
        out.printf("%-14s done: %,d requests in %.1f s%n", name, row.completed.sum(), runMillis / 1000.0);
      }
    } catch (UnsupportedOperationException e) {
      out.printf("%-14s skipped: %s%n", name, e.getMessage());
      row.skipped = String.valueOf(e.getMessage());
    }
    row.ejections = ejections.get();
    return row;
  }

  private static void clientLoop(OkHttpClient client, Row row, long end, SplittableRandom random) {
    while (System.nanoTime() < end) {
      Request request = new Request.Builder().url("http://demo/hello?user=user-" + random.nextInt(USERS)).build();
      long t0 = System.nanoTime();
      boolean ok;
      try (Response response = client.newCall(request).execute()) {
        response.body().bytes();
        ok = response.isSuccessful();
      } catch (IOException e) {
        ok = false;
      }
      row.record(System.nanoTime() - t0, ok);
    }
  }

  /**
   * Whether standard output is an interactive terminal, where a redrawn bar belongs. On JDK 22+
   * {@code System.console()} also exists for redirected output, so {@code Console.isTerminal()}
   * (absent before 22) decides there.
   */
  static boolean isTerminal() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException beforeJdk22) {
      return true; // before JDK 22 a console exists only for a terminal
    } catch (ReflectiveOperationException e) {
      return false;
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
      if (r.skipped != null) {
        out.printf("%-14s (not implemented yet)%n", r.name);
        continue;
      }
      StringBuilder line = new StringBuilder(String.format("%-14s", r.name));
      for (LongAdder a : r.attempts) {
        line.append(String.format(" %9d", a.sum()));
      }
      long[] lat = r.sortedLatencies();
      line.append(String.format(" %9d %8.1f %8.1f %7d %8d %9d", r.completed.sum(), pct(lat, 0.50) / 1e6,
          pct(lat, 0.99) / 1e6, r.errors.sum(), r.retries(), r.ejections));
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
    final long[] latencies = new long[1 << 20]; // first million requests; more is not needed
    final AtomicInteger recorded = new AtomicInteger();
    /** Attempts per backend per time bucket, backend-major: {@code [backend * BUCKETS + bucket]}. */
    final AtomicIntegerArray timeline;
    final long runNanos;
    volatile long start;
    int ejections;
    String skipped;

    Row(String name, int backends, long runNanos) {
      this.name = name;
      this.runNanos = runNanos;
      this.attempts = new LongAdder[backends];
      for (int i = 0; i < backends; i++) {
        attempts[i] = new LongAdder();
      }
      this.timeline = new AtomicIntegerArray(backends * BUCKETS);
    }

    void attempt(int backend) {
      attempts[backend].increment();
      int bucket = (int) Math.min(BUCKETS - 1, Math.max(0, (System.nanoTime() - start) * BUCKETS / runNanos));
      timeline.incrementAndGet(backend * BUCKETS + bucket);
    }

    LiveRun.PolicyRun toPolicyRun() {
      if (skipped != null) {
        return LiveRun.PolicyRun.skipped(name, skipped);
      }
      long[] perBackend = new long[attempts.length];
      int[][] perBucket = new int[attempts.length][BUCKETS];
      for (int b = 0; b < attempts.length; b++) {
        perBackend[b] = attempts[b].sum();
        for (int k = 0; k < BUCKETS; k++) {
          perBucket[b][k] = timeline.get(b * BUCKETS + k);
        }
      }
      long[] lat = sortedLatencies();
      return new LiveRun.PolicyRun(name, null, completed.sum(), errors.sum(), retries(), ejections,
          pct(lat, 0.50) / 1e6, pct(lat, 0.99) / 1e6, perBackend, runNanos / 1e9 / BUCKETS, perBucket);
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

    long retries() {
      long sent = 0;
      for (LongAdder a : attempts) {
        sent += a.sum();
      }
      return sent - completed.sum();
    }

    long[] sortedLatencies() {
      long[] all = Arrays.copyOf(latencies, Math.min(recorded.get(), latencies.length));
      Arrays.sort(all);
      return all;
    }
  }
}
