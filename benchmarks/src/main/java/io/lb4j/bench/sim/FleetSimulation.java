package io.lb4j.bench.sim;

import io.lb4j.Aperture;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.Peers;
import io.lb4j.Selection;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link FleetScenario} in one mode: every client gets its own real {@link LoadBalancer}
 * (P2C, the mode's aperture or zone settings, active health checks on a {@link FakeClock} that fail
 * the dead backends) and sends its requests one after another, each released at once, so P2C sees no
 * load and picks uniformly within what the routing stages offer: the counts measure the routing,
 * not queueing. Clients run one at a time (a thousand balancers of a thousand endpoints need not be
 * alive together). Which backends are dead and the random subsets' seeds come from the seed; P2C
 * draws from {@code ThreadLocalRandom}, so counts vary slightly between runs. Single-threaded.
 */
final class FleetSimulation {

  /** Modes of an aperture scenario. */
  static final String DETERMINISTIC = "deterministic aperture";
  static final String RANDOM = "random subsetting (A68)";
  /** Modes of a zone scenario. */
  static final String ZONE_AWARE = "envoy zone-aware";
  static final String LOCAL_ONLY = "local zone preference";
  static final String NO_ZONES = "no zone routing";

  private final FleetScenario scenario;
  private final long seed;
  private final List<Endpoint> endpoints = new ArrayList<>();
  private final Map<Endpoint, Integer> index = new HashMap<>();
  private final boolean[] alive;
  private final String[] zones;

  FleetSimulation(FleetScenario scenario, long seed) {
    this.scenario = scenario;
    this.seed = seed;
    int n = scenario.backends();
    this.alive = new boolean[n];
    this.zones = new String[n];
    java.util.Arrays.fill(alive, true);
    SplittableRandom random = new SplittableRandom(seed);
    int dead = (int) Math.round(n * scenario.deadFraction());
    for (int killed = 0; killed < dead; ) {
      int i = random.nextInt(n);
      if (alive[i]) {
        alive[i] = false;
        killed++;
      }
    }
    int z = 0;
    double bound = scenario.zoneShares().isEmpty() ? 1 : scenario.zoneShares().get(0);
    for (int i = 0; i < n; i++) {
      while (!scenario.zoneShares().isEmpty() && i >= Math.round(bound * n) && z < scenario.zoneShares().size() - 1) {
        z++;
        bound += scenario.zoneShares().get(z);
      }
      zones[i] = scenario.zoneShares().isEmpty() ? "" : zoneName(z);
      Endpoint e = Endpoint.of("10." + (i / 65536) + "." + (i / 256 % 256) + "." + (i % 256), 8080).withZone(zones[i]);
      endpoints.add(e);
      index.put(e, i);
    }
  }

  static String zoneName(int z) {
    return String.valueOf((char) ('a' + z));
  }

  /** The modes this scenario compares. */
  List<String> modes() {
    return scenario.kind() == FleetScenario.Kind.APERTURE ? List.of(DETERMINISTIC, RANDOM)
        : List.of(ZONE_AWARE, LOCAL_ONLY, NO_ZONES);
  }

  /** The deterministic aperture's slice width in endpoints, {@code ceil(A·C/E)·N/C}, which random subsetting copies. */
  double apertureWidth() {
    int n = scenario.backends();
    long live = 0;
    for (boolean a : alive) {
      live += a ? 1 : 0;
    }
    int a = (int) Math.min(Aperture.DEFAULT_SIZE, live);
    long c = scenario.clients();
    long k = (a * c + live - 1) / live;
    return Math.min(n, (double) k * n / c);
  }

  FleetResult run(String mode) {
    int n = scenario.backends();
    long[] perBackend = new long[n];
    int[] clientsPerBackend = new int[n];
    long failed = 0;
    int clientsWithout = 0;
    int connectionsMax = 0;
    long connectionsSum = 0;
    Map<String, long[]> local = new TreeMap<>(); // zone -> {local, all}
    Map<String, double[]> planned = new TreeMap<>(); // zone -> {sum, clients}
    Map<String, Integer> clientZones = new LinkedHashMap<>();
    int zoneCount = scenario.zoneShares().size();
    for (int z = 0; z < zoneCount; z++) {
      clientZones.put(zoneName(z), scenario.clients() / zoneCount + (z < scenario.clients() % zoneCount ? 1 : 0));
    }
    int width = (int) Math.ceil(apertureWidth());
    for (int c = 0; c < scenario.clients(); c++) {
      FakeClock clock = new FakeClock();
      String zone = zoneCount == 0 ? null : zoneName(c % zoneCount);
      LoadBalancer.Builder b = LoadBalancer.builder().name("client-" + c).endpoints(endpoints)
          .policy(Policies.powerOfTwoChoices()).ticker(clock).scheduler(clock)
          .healthCheck(HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build(),
              e -> CompletableFuture.completedFuture(alive[index.get(e)] ? ProbeResult.healthy("up")
                  : ProbeResult.unhealthy("down")));
      switch (mode) {
        case DETERMINISTIC -> b.aperture(Aperture.deterministic(Aperture.DEFAULT_SIZE)).peers(Peers.of(c, scenario.clients()));
        case RANDOM -> b.aperture(Aperture.random(width, seed * 1_000_003L + c));
        case ZONE_AWARE -> b.localZone(zone).peers(Peers.UNKNOWN.withZones(clientZones));
        case LOCAL_ONLY -> b.localZone(zone);
        case NO_ZONES -> { }
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
      BitSet used = new BitSet(n);
      long localHits = 0;
      long sent = 0;
      try (LoadBalancer lb = b.build()) {
        lb.healthChecker().orElseThrow().probeAll().get(30, TimeUnit.SECONDS);
        clock.runDue();
        for (int r = 0; r < scenario.requestsPerClient(); r++) {
          Selection s;
          try {
            s = lb.pick();
          } catch (NoEndpointAvailableException e) {
            failed++;
            continue;
          }
          int i = index.get(s.endpoint());
          perBackend[i]++;
          used.set(i);
          sent++;
          if (zone != null && zone.equals(zones[i])) {
            localHits++;
          }
          s.release(Outcome.SUCCESS, 1);
        }
        if (zone != null) {
          long[] l = local.computeIfAbsent(zone, k -> new long[2]);
          l[0] += localHits;
          l[1] += sent;
          double[] p = planned.computeIfAbsent(zone, k -> new double[2]);
          p[0] += lb.zoneShares().getOrDefault(zone, 0.0);
          p[1]++;
        }
      } catch (Exception e) {
        throw new IllegalStateException("client " + c + " failed in " + scenario.name() + " / " + mode, e);
      }
      if (sent == 0) {
        clientsWithout++;
      }
      int connections = used.cardinality();
      connectionsMax = Math.max(connectionsMax, connections);
      connectionsSum += connections;
      for (int i = used.nextSetBit(0); i >= 0; i = used.nextSetBit(i + 1)) {
        clientsPerBackend[i]++;
      }
    }
    Map<String, Double> localShare = new LinkedHashMap<>();
    local.forEach((z, l) -> localShare.put(z, l[1] == 0 ? 0 : (double) l[0] / l[1]));
    Map<String, Double> plannedShare = new LinkedHashMap<>();
    if (mode.equals(ZONE_AWARE)) {
      planned.forEach((z, p) -> plannedShare.put(z, p[0] / p[1]));
    }
    double aperture = mode.equals(DETERMINISTIC) || mode.equals(RANDOM) ? apertureWidth() : 0;
    return new FleetResult(scenario.name(), mode, (long) scenario.clients() * scenario.requestsPerClient(), failed,
        clientsWithout, perBackend, clientsPerBackend, connectionsMax, (double) connectionsSum / scenario.clients(),
        aperture, alive.clone(), localShare, plannedShare, zones.clone());
  }
}
