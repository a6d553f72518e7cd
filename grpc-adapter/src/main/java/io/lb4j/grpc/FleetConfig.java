package io.lb4j.grpc;

import io.grpc.Metadata;
import io.lb4j.Aperture;
import io.lb4j.LoadBalancer;
import io.lb4j.Peers;
import io.lb4j.Subset;
import io.lb4j.SubsetConfig;
import io.lb4j.TrafficSplit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The fleet-routing part of an {@code lb4j_*} service config (issue 15): subsets and the header
 * that names one, a traffic split, the aperture, zone routing and the overprovisioning factor.
 * Every key is optional; a wrong type, a bad value or an unknown inner key fails naming its path,
 * and every value passes through the same builder setter the balancer uses. Immutable.
 *
 * <pre>{@code
 * "subsets": {"selectors": [["version"], ["version", "shard"]], "fallback": "ANY_ENDPOINT",
 *             "defaultSubset": {"version": "v1"}},
 * "subsetHeader": {"header": "x-version", "key": "version"},
 * "split": {"key": "version", "weights": {"v1": 95, "v2": 5}, "by": "hash"},
 * "aperture": {"size": 12, "mode": "deterministic", "clientIndex": 3, "clientCount": 40},
 * "localZone": "eu-1a", "clientZones": {"eu-1a": 10, "eu-1b": 30}, "zoneRoutingMinSize": 6,
 * "overprovisioningFactor": 1.4
 * }</pre>
 *
 * <p>A new config that changes nothing but {@code split.weights} is applied to the running balancer
 * ({@link Lb4jConfig#onlySplitWeightsDiffer}): requests move at once, nothing is rebuilt.
 *
 * @param subsets the declared subsets, or null
 * @param subsetHeader the metadata key whose value names the subset value of {@code subsetKey}, or null
 * @param subsetKey the metadata key the header's value is a value of, or null
 * @param splitKey the split's metadata key, or null for no split
 * @param splitWeights the split's weights by value
 * @param splitByHash whether the request hash decides the split's side
 * @param aperture the aperture, or null
 * @param peers the client's position and clients per zone ({@link Peers#UNKNOWN} parts when absent)
 * @param localZone the local zone, or null
 * @param zoneRoutingMinSize Envoy's {@code min_cluster_size}, or -1 for the default
 * @param overprovisioningFactor the factor, or NaN for the default
 */
record FleetConfig(SubsetConfig subsets, Metadata.Key<String> subsetHeader, String subsetKey, String splitKey,
    Map<String, Integer> splitWeights, boolean splitByHash, Aperture aperture, Peers peers, String localZone,
    int zoneRoutingMinSize, double overprovisioningFactor) {

  /** The top-level keys this part reads. */
  static final Set<String> KEYS = Set.of("subsets", "subsetHeader", "split", "aperture", "localZone", "clientZones",
      "zoneRoutingMinSize", "overprovisioningFactor");

  /** No fleet routing. */
  static final FleetConfig NONE = new FleetConfig(null, null, null, null, Map.of(), false, null, Peers.UNKNOWN, null,
      -1, Double.NaN);

  /** Parses the fleet keys of a config; the errors name the key path. */
  static FleetConfig parse(ConfigParser.Reader r) {
    SubsetConfig subsets = null;
    Map<String, ?> sub = r.object("subsets");
    if (sub != null) {
      only(r, "subsets", sub, "selectors", "fallback", "defaultSubset");
      SubsetConfig.Builder b = SubsetConfig.builder();
      Object selectors = sub.get("selectors");
      if (!(selectors instanceof List<?> list) || list.isEmpty()) {
        throw r.bad("subsets.selectors", "must be a non-empty list of key lists, e.g. [[\"version\"]], was " + selectors);
      }
      for (Object s : list) {
        List<String> keys = strings(r, "subsets.selectors", s);
        check(r, "subsets.selectors", () -> b.selector(keys.toArray(new String[0])));
      }
      Object fallback = sub.get("fallback");
      if (fallback != null) {
        check(r, "subsets.fallback", () -> b.fallback(enumValue(r, "subsets.fallback", fallback)));
      }
      Object dflt = sub.get("defaultSubset");
      if (dflt != null) {
        Map<String, String> criteria = stringMap(r, "subsets.defaultSubset", dflt);
        check(r, "subsets.defaultSubset", () -> b.defaultSubset(Subset.of(criteria)));
      }
      subsets = check(r, "subsets", b::build);
    }
    String splitKey = null;
    Map<String, Integer> weights = Map.of();
    boolean byHash = false;
    Map<String, ?> split = r.object("split");
    if (split != null) {
      only(r, "split", split, "key", "weights", "by");
      splitKey = string(r, "split.key", split.get("key"), true);
      Object w = split.get("weights");
      if (!(w instanceof Map<?, ?> m) || m.isEmpty()) {
        throw r.bad("split.weights", "must be an object of value to weight, e.g. {\"v1\": 95, \"v2\": 5}, was " + w);
      }
      Map<String, Integer> ws = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        ws.put(String.valueOf(e.getKey()), ConfigParser.integer("split.weights." + e.getKey(), e.getValue()));
      }
      weights = Map.copyOf(ws);
      String by = string(r, "split.by", split.get("by"), false);
      if (by != null && !by.equals("hash") && !by.equals("request")) {
        throw r.bad("split.by", "must be \"request\" or \"hash\", was \"" + by + "\"");
      }
      byHash = "hash".equals(by);
      String k = splitKey;
      Map<String, Integer> finalWeights = weights;
      check(r, "split", () -> TrafficSplit.byRequest(k, finalWeights));
      if (subsets != null && !subsets.selectors().contains(List.of(splitKey))) {
        throw r.bad("split.key", "'" + splitKey + "' is not one of the subsets.selectors " + subsets.selectors());
      }
    }
    Metadata.Key<String> header = null;
    String subsetKey = null;
    Map<String, ?> sh = r.object("subsetHeader");
    if (sh != null) {
      only(r, "subsetHeader", sh, "header", "key");
      header = ConfigParser.headerKey("subsetHeader.header", string(r, "subsetHeader.header", sh.get("header"), true));
      subsetKey = string(r, "subsetHeader.key", sh.get("key"), true);
      List<List<String>> declared = subsets != null ? subsets.selectors()
          : splitKey != null ? List.of(List.of(splitKey)) : List.of();
      if (!declared.contains(List.of(subsetKey))) {
        throw r.bad("subsetHeader.key", "'" + subsetKey + "' is not a declared subset selector (declared: " + declared
            + "; declare it in subsets.selectors or split.key)");
      }
    }
    Aperture aperture = null;
    Peers peers = Peers.UNKNOWN;
    Map<String, ?> ap = r.object("aperture");
    if (ap != null) {
      only(r, "aperture", ap, "size", "mode", "clientIndex", "clientCount");
      int size = ap.get("size") == null ? Aperture.DEFAULT_SIZE : ConfigParser.integer("aperture.size", ap.get("size"));
      String mode = string(r, "aperture.mode", ap.get("mode"), false);
      if (mode != null && !mode.equals("deterministic") && !mode.equals("random")) {
        throw r.bad("aperture.mode", "must be \"deterministic\" or \"random\", was \"" + mode + "\"");
      }
      aperture = check(r, "aperture.size", () -> "random".equals(mode) ? Aperture.random(size)
          : Aperture.deterministic(size));
      Object index = ap.get("clientIndex");
      Object count = ap.get("clientCount");
      if ((index == null) != (count == null)) {
        throw r.bad("aperture", "clientIndex and clientCount go together, was clientIndex " + index + ", clientCount "
            + count);
      }
      if (index != null) {
        int i = ConfigParser.integer("aperture.clientIndex", index);
        int c = ConfigParser.integer("aperture.clientCount", count);
        peers = check(r, "aperture.clientIndex", () -> Peers.of(i, c));
      }
    }
    Map<String, ?> cz = r.object("clientZones");
    if (cz != null) {
      Map<String, Integer> zones = new LinkedHashMap<>();
      for (Map.Entry<String, ?> e : cz.entrySet()) {
        zones.put(e.getKey(), ConfigParser.integer("clientZones." + e.getKey(), e.getValue()));
      }
      Peers p = peers;
      peers = check(r, "clientZones", () -> p.withZones(zones));
    }
    String localZone = r.string("localZone");
    LoadBalancer.Builder checks = LoadBalancer.builder();
    if (localZone != null) {
      check(r, "localZone", () -> checks.localZone(localZone));
    }
    if (cz != null && localZone == null) {
      throw r.bad("clientZones", "needs localZone (the zone this client runs in)");
    }
    int minSize = r.integer("zoneRoutingMinSize", -1);
    if (r.has("zoneRoutingMinSize")) {
      check(r, "zoneRoutingMinSize", () -> checks.zoneRoutingMinSize(minSize));
    }
    double factor = r.number("overprovisioningFactor", Double.NaN);
    if (r.has("overprovisioningFactor")) {
      check(r, "overprovisioningFactor", () -> checks.overprovisioningFactor(factor));
    }
    return new FleetConfig(subsets, header, subsetKey, splitKey, weights, byHash, aperture, peers, localZone, minSize,
        factor);
  }

  /** Applies these settings to a new balancer's builder; a new traffic split for each balancer. */
  void apply(LoadBalancer.Builder b) {
    if (subsets != null) {
      b.subsets(subsets);
    }
    if (splitKey != null) {
      b.trafficSplit(splitByHash ? TrafficSplit.byHash(splitKey, splitWeights)
          : TrafficSplit.byRequest(splitKey, splitWeights));
    }
    if (aperture != null) {
      b.aperture(aperture);
    }
    if (!peers.equals(Peers.UNKNOWN)) {
      b.peers(peers);
    }
    if (localZone != null) {
      b.localZone(localZone);
    }
    if (zoneRoutingMinSize >= 0) {
      b.zoneRoutingMinSize(zoneRoutingMinSize);
    }
    if (!Double.isNaN(overprovisioningFactor)) {
      b.overprovisioningFactor(overprovisioningFactor);
    }
  }

  /** Whether picks need a request hash for the split (a sticky split). */
  boolean hashesForSplit() {
    return splitKey != null && splitByHash;
  }

  /** The header reader of a config without {@code subsetHeader}: no call names a subset. */
  static final Function<Metadata, Subset> NO_SUBSET_HEADER = h -> null;

  /**
   * Reads the subset a call's metadata names, or null. A known value allocates no {@link Subset},
   * but gRPC decodes the header's value to a new {@code String} on each read.
   */
  Function<Metadata, Subset> headerReader() {
    if (subsetHeader == null) {
      return NO_SUBSET_HEADER;
    }
    Function<String, Subset> subsetOf = Subset.forKey(subsetKey);
    Metadata.Key<String> key = subsetHeader;
    return h -> {
      String v = h.get(key);
      return v == null ? null : subsetOf.apply(v);
    };
  }

  // ---- parsing helpers ----

  private static void only(ConfigParser.Reader r, String path, Map<String, ?> obj, String... keys) {
    Set<String> known = Set.of(keys);
    for (String k : obj.keySet()) {
      if (!known.contains(k)) {
        throw r.bad(path + "." + k, "unknown key (known keys: " + String.join(", ", new TreeSet<>(known)) + ")");
      }
    }
  }

  private static String string(ConfigParser.Reader r, String key, Object v, boolean required) {
    if (v == null) {
      if (required) {
        throw r.bad(key, "is required");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw r.bad(key, "must be a string, was " + v);
    }
    return s;
  }

  private static List<String> strings(ConfigParser.Reader r, String key, Object v) {
    if (!(v instanceof List<?> list) || list.isEmpty()) {
      throw r.bad(key, "each selector must be a non-empty list of metadata keys, was " + v);
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      out.add(string(r, key, o, true));
    }
    return out;
  }

  private static Map<String, String> stringMap(ConfigParser.Reader r, String key, Object v) {
    if (!(v instanceof Map<?, ?> m)) {
      throw r.bad(key, "must be an object of metadata key to value, was " + v);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      out.put(String.valueOf(e.getKey()), string(r, key + "." + e.getKey(), e.getValue(), true));
    }
    return out;
  }

  private static SubsetConfig.Fallback enumValue(ConfigParser.Reader r, String key, Object v) {
    String s = string(r, key, v, true);
    try {
      return SubsetConfig.Fallback.valueOf(s);
    } catch (IllegalArgumentException e) {
      throw r.bad(key, "must be one of NO_FALLBACK, ANY_ENDPOINT, DEFAULT_SUBSET, was \"" + s + "\"");
    }
  }

  private static <T> T check(ConfigParser.Reader r, String key, java.util.function.Supplier<T> f) {
    try {
      return f.get();
    } catch (IllegalArgumentException e) {
      throw r.bad(key, e.getMessage());
    }
  }
}
