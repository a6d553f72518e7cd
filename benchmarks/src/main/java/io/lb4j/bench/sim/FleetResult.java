package io.lb4j.bench.sim;

import java.util.Map;

/**
 * What one (fleet scenario, mode) run produced.
 *
 * @param scenario scenario name
 * @param mode what was run, e.g. {@code deterministic aperture} or {@code envoy zone-aware}
 * @param requests requests the clients sent
 * @param failed requests that found no endpoint
 * @param clientsWithoutEndpoints clients whose every request found no endpoint
 * @param perBackend requests each backend received
 * @param clientsPerBackend how many clients sent each backend at least one request (its connections)
 * @param connectionsMax the most backends one client sent requests to
 * @param connectionsMean the mean number of backends a client sent requests to
 * @param aperture the aperture a client aims for (endpoints), or 0 without subsetting
 * @param alive per backend, whether it was up
 * @param localShare for zone runs: per client zone, the share of its requests that stayed in it
 * @param plannedLocalShare for zone runs: per client zone, the local share lb4j planned
 *     ({@code LoadBalancer.zoneShares()}), which is Envoy's formula under zone-aware routing
 * @param backendZones for zone runs: each backend's zone
 */
public record FleetResult(String scenario, String mode, long requests, long failed, int clientsWithoutEndpoints,
    long[] perBackend, int[] clientsPerBackend, int connectionsMax, double connectionsMean, double aperture,
    boolean[] alive, Map<String, Double> localShare, Map<String, Double> plannedLocalShare, String[] backendZones) {

  /** The busiest live backend's requests over the mean of the live backends (1.0 = perfectly even). */
  public double maxOverMean() {
    long sum = 0;
    long max = 0;
    int n = 0;
    for (int i = 0; i < perBackend.length; i++) {
      if (alive[i]) {
        sum += perBackend[i];
        max = Math.max(max, perBackend[i]);
        n++;
      }
    }
    return sum == 0 ? 0 : max / ((double) sum / n);
  }

  /** The most clients any backend had over the mean per live backend. */
  public double clientsMaxOverMean() {
    long sum = 0;
    int max = 0;
    int n = 0;
    for (int i = 0; i < clientsPerBackend.length; i++) {
      if (alive[i]) {
        sum += clientsPerBackend[i];
        max = Math.max(max, clientsPerBackend[i]);
        n++;
      }
    }
    return sum == 0 ? 0 : max / ((double) sum / n);
  }

  /** The share of all requests that stayed in their client's zone (zone runs), else NaN. */
  public double overallLocal() {
    if (localShare.isEmpty()) {
      return Double.NaN;
    }
    return localShare.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }
}
