package io.lb4j.okhttp;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.health.HealthCheckConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The README's health-check snippet as a program, run in a child JVM by
 * {@link HttpHealthProbeLifecycleTest}: it probes a local server once, stops the server and returns
 * from {@code main}, closing the balancer only when the first argument is {@code close}. The JVM
 * must then exit at once; the test measures how long it takes.
 */
public final class ProbeExitMain {

  private ProbeExitMain() {}

  /** Entry point; prints the probe's verdict. */
  public static void main(String[] args) throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ready", exchange -> {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.start();
    try {
      CompletableFuture<EndpointStatus> probed = new CompletableFuture<>();
      LoadBalancer lb = LoadBalancer.builder()
          .endpoints(List.of(Endpoint.of("127.0.0.1", server.getAddress().getPort())))
          .healthCheck(HealthCheckConfig.defaults(), HttpHealthProbe.builder().path("/ready").build())
          .listener(new LoadBalancerListener() {
            @Override
            public void onStatusChange(String name, Endpoint e, EndpointStatus from, EndpointStatus to, String why) {
              probed.complete(to);
            }
          })
          .build();
      // The first probe comes within interval x jitter (0.5 s with the defaults).
      System.out.println("status " + probed.get(10, TimeUnit.SECONDS));
      if (args.length > 0 && "close".equals(args[0])) {
        lb.close();
      }
    } finally {
      server.stop(0);
    }
  }
}
