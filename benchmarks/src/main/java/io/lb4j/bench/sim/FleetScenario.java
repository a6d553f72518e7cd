package io.lb4j.bench.sim;

import java.util.List;

/**
 * One fleet-scale routing situation for the {@link FleetSimulation}: many clients, each with its own
 * lb4j balancer, sending requests to a shared set of backends. Immutable.
 *
 * @param name short name, used in tables and the report
 * @param description one line saying what happens
 * @param question what the scenario asks, one sentence; the report answers it ({@link Findings#fleet})
 * @param kind what is compared: subsetting modes or zone routing modes
 * @param clients how many clients
 * @param backends how many backends
 * @param deadFraction the share of backends down (failing their health checks) before requests start
 * @param requestsPerClient requests each client sends
 * @param zoneShares for zone scenarios, the share of backends per zone (zones "a", "b", ...); clients
 *     are spread evenly over the same zones. Empty for aperture scenarios.
 */
public record FleetScenario(String name, String description, String question, Kind kind, int clients, int backends,
    double deadFraction, int requestsPerClient, List<Double> zoneShares) {

  /** What a scenario compares. */
  public enum Kind {
    /** Deterministic aperture against random subsetting (gRPC A68) of the same size. */
    APERTURE,
    /** Envoy's zone-aware routing against the local-zone preference and no zone routing. */
    ZONES
  }

  /** Validates and copies. */
  public FleetScenario {
    zoneShares = List.copyOf(zoneShares);
    if (clients < 1 || backends < 1 || requestsPerClient < 1) {
      throw new IllegalArgumentException("clients, backends and requestsPerClient must be >= 1, was " + clients + ", "
          + backends + ", " + requestsPerClient);
    }
    if (!(deadFraction >= 0 && deadFraction < 1)) {
      throw new IllegalArgumentException("deadFraction must be in [0, 1), was " + deadFraction);
    }
    if (kind == Kind.ZONES && zoneShares.size() < 2) {
      throw new IllegalArgumentException("a zone scenario needs at least two zones, was " + zoneShares);
    }
  }

  /** An aperture scenario: {@code clients} × {@code backends}, {@code dead} of the backends down. */
  public static FleetScenario aperture(int clients, int backends, double dead, int requestsPerClient) {
    String name = "aperture-" + clients + "x" + backends + (dead > 0 ? "-" + Math.round(dead * 100) + "pct-dead" : "");
    String description = String.format(java.util.Locale.ROOT, "%,d clients, %,d backends%s; each client sends %,d "
        + "requests (P2C inside its slice, 12 endpoints wanted)", clients, backends,
        dead > 0 ? ", " + Math.round(dead * 100) + " % of the backends down (failing health checks)" : "",
        requestsPerClient);
    String question = dead > 0
        ? "with a tenth of the backends down, does any client lose all its endpoints, and does the load stay even?"
        : "do clients that each talk to a slice of the backends load every backend evenly, with few connections?";
    return new FleetScenario(name, description, question, Kind.APERTURE, clients, backends, dead, requestsPerClient,
        List.of());
  }

  /** Three zones holding 10 / 30 / 60 % of 100 backends, 30 clients spread evenly over them. */
  public static FleetScenario unevenZones(int requestsPerClient) {
    return new FleetScenario("zones-10-30-60", "3 zones with 10 / 30 / 60 % of 100 backends and a third of 30 "
        + "clients each; every client prefers its own zone", "when the zones hold unequal shares of the backends but "
        + "equal shares of the clients, does zone routing keep traffic local without overloading the small zone?",
        Kind.ZONES, 30, 100, 0, requestsPerClient, List.of(0.1, 0.3, 0.6));
  }

  /** The standard fleet scenarios (issue 15's goals). */
  public static List<FleetScenario> standard() {
    return List.of(aperture(1000, 1000, 0, 10_000), aperture(100, 10, 0, 10_000), aperture(10, 100, 0, 100_000),
        aperture(1000, 1000, 0.1, 10_000), unevenZones(20_000));
  }
}
