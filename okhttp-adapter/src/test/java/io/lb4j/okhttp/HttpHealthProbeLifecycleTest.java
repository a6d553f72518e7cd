package io.lb4j.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.testing.FakeClock;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A probe that made its own client releases it with the balancer; a client given to it is never touched. */
class HttpHealthProbeLifecycleTest {

  private static final HealthCheckConfig ONE_PROBE =
      HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build();

  /** Live threads whose name starts with the probe's prefix. */
  private static Set<Thread> probeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("lb4j-http-probe-"))
        .collect(Collectors.toSet());
  }

  private static LoadBalancer probedBalancer(Backends b, HttpHealthProbe probe) throws Exception {
    FakeClock clock = new FakeClock(); // no periodic probes: only the round below
    LoadBalancer lb = LoadBalancer.builder().name("probe-lifecycle").endpoints(b.endpoints())
        .ticker(clock).scheduler(clock).healthCheck(ONE_PROBE, probe).build();
    lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
    clock.runDue(); // the rebuild the verdicts asked for
    assertEquals(EndpointStatus.HEALTHY, lb.status(b.endpoint(0)));
    return lb;
  }

  @Test
  void ownClientThreadsEndWhenTheBalancerCloses() throws Exception {
    try (Backends b = new Backends(1)) {
      Set<Thread> before = probeThreads();
      LoadBalancer lb = probedBalancer(b, HttpHealthProbe.builder().build());
      // OkHttp names a dispatcher thread after the call while it runs one, and the probe's answer
      // arrives inside that: wait for the name to come back.
      Set<Thread> mine = await().atMost(Duration.ofSeconds(10)).until(() -> {
        Set<Thread> t = probeThreads();
        t.removeAll(before);
        return t;
      }, t -> !t.isEmpty());
      assertTrue(mine.stream().allMatch(Thread::isDaemon), "probe threads never hold the JVM");
      lb.close();
      await().atMost(Duration.ofSeconds(10)).until(() -> mine.stream().noneMatch(Thread::isAlive));
    }
  }

  @Test
  void thousandBuildCloseCyclesLeaveNoThreads() throws Exception {
    try (Backends b = new Backends(1)) {
      Set<String> lbThreadsBefore = namesStartingWith("lb4j-probe-lifecycle-");
      Set<Thread> before = probeThreads();
      for (int i = 0; i < 1_000; i++) {
        probedBalancer(b, HttpHealthProbe.builder().build()).close();
      }
      String busy = "OkHttp " + b.servers.get(0).url("/").toString().replaceAll("/$", "");
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        Set<Thread> left = probeThreads();
        left.removeAll(before);
        return left.isEmpty() && namesStartingWith(busy).isEmpty(); // idle and busy probe threads
      });
      assertEquals(lbThreadsBefore, namesStartingWith("lb4j-probe-lifecycle-"), "balancer schedulers stopped");
      assertEquals(1_000, b.servers.get(0).getRequestCount());
    }
  }

  private static Set<String> namesStartingWith(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith(prefix)).collect(Collectors.toSet());
  }

  @Test
  void callersClientKeepsWorkingAfterTheBalancerCloses() throws Exception {
    OkHttpClient app = new OkHttpClient();
    try (Backends b = new Backends(1)) {
      probedBalancer(b, HttpHealthProbe.builder().client(app).build()).close();
      assertFalse(app.dispatcher().executorService().isShutdown());
      try (Response r = app.newCall(new Request.Builder().url(b.servers.get(0).url("/after")).build()).execute()) {
        assertEquals(200, r.code());
      }
      // the probe's calls and this one went through the caller's pool, which still holds the connection
      assertTrue(app.connectionPool().connectionCount() >= 1);
    } finally {
      app.dispatcher().executorService().shutdown();
      app.connectionPool().evictAll();
    }
  }

  @Test
  void jvmExitsPromptlyAfterMainReturns(@TempDir Path dir) throws Exception {
    for (String mode : new String[] {"close", "no-close"}) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      File out = dir.resolve(mode + ".out").toFile();
      Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          ProbeExitMain.class.getName(), mode)
          .redirectErrorStream(true).redirectOutput(out).start();
      long start = System.nanoTime();
      // OkHttp's own dispatcher threads would keep it alive 60 s after the last probe.
      boolean exited = p.waitFor(30, TimeUnit.SECONDS);
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      if (!exited) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
      assertTrue(exited, mode + ": child JVM still running after " + seconds + " s; output: " + output);
      assertEquals(0, p.exitValue(), mode + ": " + output);
      assertTrue(output.contains("status HEALTHY"), mode + ": " + output);
    }
  }

}
