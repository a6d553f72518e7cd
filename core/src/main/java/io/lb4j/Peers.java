package io.lb4j;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a client knows of its own fleet (the clients of the same service, this one included): its
 * position among them, which {@linkplain Aperture#deterministic deterministic aperture} needs, and
 * how many of them run in each zone, which Envoy-style zone routing needs. Either part may be
 * unknown. Give it to {@link LoadBalancer.Builder#peers}, change it with
 * {@link LoadBalancer#updatePeers}, or let {@link LoadBalancer.Builder#peerSource} derive it from
 * the clients' own registrations. Immutable.
 *
 * @param index this client's position, {@code 0..count-1}; -1 when unknown
 * @param count how many clients there are; 0 when unknown
 * @param zones clients per zone ({@code ""} for clients without one); empty when unknown
 */
public record Peers(int index, int count, Map<String, Integer> zones) {

  /** Nothing known. */
  public static final Peers UNKNOWN = new Peers(-1, 0, Map.of());

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException naming the field for an index outside {@code 0..count-1}
   *     (or -1 with count 0), a null or negative zone count
   */
  public Peers {
    boolean unknown = index == -1 && count == 0;
    if (!unknown && (count < 1 || index < 0 || index >= count)) {
      throw new IllegalArgumentException("peer index must be in 0..count-1, was index " + index + " of count " + count
          + " (use Peers.UNKNOWN when unknown)");
    }
    if (zones == null) {
      throw new IllegalArgumentException("peer zones must not be null (use Map.of())");
    }
    TreeMap<String, Integer> z = new TreeMap<>();
    for (Map.Entry<String, Integer> e : zones.entrySet()) {
      if (e.getKey() == null || e.getValue() == null || e.getValue() < 0) {
        throw new IllegalArgumentException("peer zones must map zone names to counts >= 0, was " + zones);
      }
      if (e.getValue() > 0) {
        z.put(e.getKey(), e.getValue());
      }
    }
    zones = Map.copyOf(z);
  }

  /**
   * This client is number {@code index} of {@code count} (Finagle's process coordinate: unique,
   * contiguous from 0), zones unknown.
   */
  public static Peers of(int index, int count) {
    return new Peers(index, count, Map.of());
  }

  /** The same position with these clients per zone. */
  public Peers withZones(Map<String, Integer> clientsPerZone) {
    return new Peers(index, count, clientsPerZone);
  }

  /**
   * The peers a registration list shows: {@code self}'s rank by address among the distinct
   * addresses of {@code clients} (every client sorts the same list the same way, so the indices are
   * unique and contiguous), and the clients per zone. Without {@code self} in the list, the
   * position is unknown and only the zones are known.
   */
  public static Peers fromList(Collection<Endpoint> clients, Endpoint self) {
    LoadBalancer.Builder.required("clients", clients);
    LoadBalancer.Builder.required("self", self);
    TreeSet<String> addresses = new TreeSet<>();
    TreeMap<String, Integer> zones = new TreeMap<>();
    for (Endpoint e : clients) {
      if (e != null && addresses.add(e.address())) {
        zones.merge(e.zone(), 1, Integer::sum);
      }
    }
    if (!addresses.contains(self.address())) {
      return new Peers(-1, 0, zones);
    }
    return new Peers(addresses.headSet(self.address()).size(), addresses.size(), zones);
  }

  /** Whether this client's position is known. */
  public boolean hasPosition() {
    return count > 0;
  }
}
