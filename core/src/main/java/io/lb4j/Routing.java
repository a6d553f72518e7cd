package io.lb4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The routing stages around {@link SnapshotBuilder}, as one pure function: the present endpoints
 * and their candidates in, a {@link Plan} out — which endpoints each policy picker serves and how a
 * request chooses among those pickers. No threads, no clock, no state; {@link BalancerCore} turns
 * the plan into pickers on every rebuild, tests call it directly.
 *
 * <p>The stages, outermost first:
 *
 * <ol>
 *   <li><b>Subsets</b> ({@link SubsetConfig}): one route for all endpoints, one per subset of each
 *       declared selector, one for the default subset; everything below runs inside each route, as
 *       Envoy runs a child load balancer per subset.
 *   <li><b>Priority levels</b> ({@link Endpoint#priority()}): each level gets a share of the
 *       requests by Envoy's formula (health = overprovisioning factor × eligible / judged, capped at
 *       100 %; lower levels first; the rest spills down), and panic is judged per level and only
 *       while the levels together lack capacity, as Envoy does; when every level panics, shares
 *       follow the endpoint counts. One level (the default) behaves exactly as before levels existed.
 *   <li><b>Aperture</b> ({@link Aperture}): each level's endpoints narrowed to this client's slice.
 *   <li><b>Eligibility and panic</b> ({@link SnapshotBuilder#decide}, {@link PanicRule}) on what is left.
 *   <li><b>Zones</b> (the first level only, outside panic): with the clients per zone known
 *       ({@link Peers#zones()}), Envoy's zone-aware routing ({@link ZoneRouting}); otherwise the
 *       local-zone preference ({@link ZonePreference}).
 * </ol>
 *
 * <p>(Over 400 lines because the stages feed one another per level and per subset; each stage's
 * arithmetic lives in its own class: {@link ApertureRing}, {@link ZoneRouting}, {@link PanicRule}.)
 */
final class Routing {

  /** Envoy's default overprovisioning factor, in percent. */
  static final int DEFAULT_OVERPROVISIONING = 140;
  /** Envoy's default {@code min_cluster_size} for zone-aware routing. */
  static final int DEFAULT_ZONE_MIN_SIZE = 6;

  /**
   * The balancer's routing settings.
   *
   * @param panicThreshold 0..1; 0 disables panic mode
   * @param localZone the client's zone, or null
   * @param overprovisioning the overprovisioning factor in percent (Envoy's form: 140 = 1.4)
   * @param zoneMinSize fewer eligible endpoints than this in the first level: no zone-aware routing
   * @param aperture the subsetting, or null for none
   * @param subsets the declared subsets, or null for none
   * @param connectingPickable whether {@link Connectivity#CONNECTING} endpoints may be picked (the
   *     policy hashes: a key's request waits for its endpoint's connection rather than move)
   * @param skipsUnavailable whether the policy's pickers are built over every usable endpoint of a
   *     level and skip the unavailable ones ({@link io.lb4j.policy.Policy#skipsUnavailable()})
   */
  record Settings(double panicThreshold, String localZone, int overprovisioning, int zoneMinSize, Aperture aperture,
      SubsetConfig subsets, boolean connectingPickable, boolean skipsUnavailable) {

    /** Settings for a policy that neither hashes nor skips unavailable endpoints. */
    Settings(double panicThreshold, String localZone, int overprovisioning, int zoneMinSize, Aperture aperture,
        SubsetConfig subsets) {
      this(panicThreshold, localZone, overprovisioning, zoneMinSize, aperture, subsets, false, false);
    }

    /** No subsets, no aperture, Envoy's defaults, a policy that neither hashes nor skips. */
    static Settings of(double panicThreshold, String localZone) {
      return new Settings(panicThreshold, localZone, DEFAULT_OVERPROVISIONING, DEFAULT_ZONE_MIN_SIZE, null, null);
    }
  }

  /** Where a request goes: a set of endpoints one picker serves, or a weighted choice among nodes. */
  sealed interface Node permits Leaf, Choice {}

  /**
   * Endpoints one policy picker serves.
   *
   * @param members candidate indices, in list order
   * @param accept per member, the share of its traffic it takes (below 1 only at an aperture's
   *     edge); null when every member takes all of it
   */
  record Leaf(int[] members, double[] accept) implements Node {}

  /**
   * A weighted choice: a request goes to child {@code i} with probability {@code weights[i] / Σ}.
   *
   * @param salt 0 to draw Envoy's priority way ({@code hash % Σ}), else the salt of a mixed draw
   *     ({@link Draws})
   * @param labels what each child is ("priority 1", "zone eu-1a"), for messages
   */
  record Choice(int[] weights, Node[] children, long salt, String[] labels) implements Node {}

  /**
   * One route: how a request for all endpoints, or for one subset, is served.
   *
   * @param root where requests go; null when nothing can be picked
   * @param chosen every endpoint the root can return, in list order
   * @param panic whether a level of it is in panic mode
   * @param eligibleCount eligible endpoints in it
   * @param judged its panic denominator (judged, not known dead)
   * @param unavailable why nothing can be picked, when {@code root} is null
   * @param levelLoads percent of requests per priority level, in level order (100 for one level)
   * @param zoneShares share of the first level's requests per zone (zone-aware routing), empty otherwise
   * @param legacyZone the local-zone preference's decision, or null
   */
  record Route(Node root, int[] chosen, boolean panic, int eligibleCount, int judged, String unavailable,
      Map<Integer, Integer> levelLoads, Map<String, Double> zoneShares, ZonePreference.Decision legacyZone) {}

  /**
   * The outcome of one rebuild.
   *
   * @param eligible per candidate: eligible on its own merits
   * @param shown per candidate: the status it shows ({@link SnapshotBuilder#shown})
   * @param counts candidates per shown status
   * @param main the route of requests that name no subset
   * @param subsets the route of each non-empty subset of each selector
   * @param defaultSubset the default subset's route, or null without a {@code DEFAULT_SUBSET} fallback
   */
  record Plan(boolean[] eligible, EndpointStatus[] shown, StatusCounts counts, Route main, Map<Subset, Route> subsets, Route defaultSubset) {}

  private final List<SnapshotBuilder.Candidate> candidates;
  private final List<Endpoint> endpoints;
  private final Settings settings;
  private final Peers peers;
  private final String name;
  private final String emptyReason;
  private final boolean anyProbed;
  private final boolean[] eligible;
  /** Per candidate, its share at an aperture's edge, for the level being routed; 1 elsewhere. */
  private final double[] accept;

  private Routing(List<SnapshotBuilder.Candidate> candidates, List<Endpoint> endpoints, Settings settings, Peers peers,
      String name, String emptyReason) {
    this.candidates = candidates;
    this.endpoints = endpoints;
    this.settings = settings;
    this.peers = peers;
    this.name = name;
    this.emptyReason = emptyReason;
    this.anyProbed = SnapshotBuilder.anyProbed(candidates);
    this.eligible = new boolean[candidates.size()];
    for (int i = 0; i < eligible.length; i++) {
      eligible[i] = SnapshotBuilder.eligible(candidates.get(i), anyProbed, settings.connectingPickable());
    }
    this.accept = new double[candidates.size()];
    Arrays.fill(accept, 1.0);
  }

  /**
   * Plans one snapshot.
   *
   * @param candidates the present endpoints' states, in insertion order
   * @param endpoints the same endpoints (priority, zone, metadata, address), same order
   * @param peers what the client knows of its own fleet
   * @param name the balancer's name, for messages
   * @param emptyReason why the list is empty (the endpoint source's error), or null
   */
  static Plan plan(List<SnapshotBuilder.Candidate> candidates, List<Endpoint> endpoints, Settings settings, Peers peers,
      String name, String emptyReason) {
    if (candidates.size() != endpoints.size()) {
      throw new IllegalArgumentException("candidates and endpoints differ in size: " + candidates.size() + " vs "
          + endpoints.size());
    }
    return new Routing(candidates, endpoints, settings, peers, name, emptyReason).plan();
  }

  private Plan plan() {
    int n = candidates.size();
    int[] all = new int[n];
    EndpointStatus[] shown = new EndpointStatus[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
      SnapshotBuilder.Candidate c = candidates.get(i);
      shown[i] = SnapshotBuilder.shown(c.status(), c.connectivity());
    }
    Route main = route(all, name);
    Map<Subset, Route> subsets = new LinkedHashMap<>();
    Route defaultSubset = null;
    SubsetConfig config = settings.subsets();
    if (config != null) {
      for (List<String> selector : config.selectors()) {
        Map<Subset, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          Subset s = Subset.of(endpoints.get(i), selector);
          if (s != null) {
            groups.computeIfAbsent(s, k -> new ArrayList<>()).add(i);
          }
        }
        for (Map.Entry<Subset, List<Integer>> g : groups.entrySet()) {
          subsets.put(g.getKey(), route(toArray(g.getValue()), scoped(g.getKey())));
        }
      }
      if (config.fallback() == SubsetConfig.Fallback.DEFAULT_SUBSET) {
        List<Integer> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (config.defaultSubset().matches(endpoints.get(i))) {
            members.add(i);
          }
        }
        defaultSubset = members.isEmpty()
            ? empty("load balancer '" + name + "': no endpoint matches the default subset " + config.defaultSubset())
            : route(toArray(members), scoped(config.defaultSubset()));
      }
    }
    return new Plan(eligible, shown, StatusCounts.of(Arrays.asList(shown)), main, subsets, defaultSubset);
  }

  /**
   * The name that makes {@link SnapshotBuilder}'s message read "load balancer 'orders', subset
   * 'version=v2': all 2 endpoints are unavailable (...)".
   */
  private String scoped(Subset s) {
    String label = s.toString();
    return name + "', subset '" + label.substring(1, label.length() - 1);
  }

  /** A route that picks nothing, for this reason. */
  static Route empty(String why) {
    return new Route(null, new int[0], false, 0, 0, why, Map.of(), Map.of(), null);
  }

  // ---- priority levels ----

  /** What the stages below the priority stage made of one level. */
  private record Level(int priority, Node node, int[] chosen, boolean panic, int eligibleCount, int judged,
      int judgedAll, String unavailable, ZonePreference.Decision legacyZone, Map<String, Double> zoneShares) {}

  private Route route(int[] group, String label) {
    TreeMap<Integer, List<Integer>> levels = new TreeMap<>();
    for (int i : group) {
      if (candidates.get(i).status() != EndpointStatus.DRAINING) {
        levels.computeIfAbsent(endpoints.get(i).priority(), k -> new ArrayList<>()).add(i);
      }
    }
    if (levels.size() <= 1) {
      int priority = levels.isEmpty() ? 0 : levels.firstKey();
      Level l = level(priority, group, true, settings.panicThreshold(), label);
      return new Route(l.chosen().length == 0 ? null : l.node(), l.chosen(), l.panic(), l.eligibleCount(), l.judged(),
          l.unavailable(), Map.of(priority, 100), l.zoneShares(), l.legacyZone());
    }
    List<Level> ls = new ArrayList<>();
    int[] health = new int[levels.size()];
    int sum = 0;
    for (Map.Entry<Integer, List<Integer>> e : levels.entrySet()) {
      Level l = level(e.getKey(), toArray(e.getValue()), ls.isEmpty(), settings.panicThreshold(), label);
      int p = ls.size();
      health[p] = l.judgedAll() == 0 ? 0
          : (int) Math.min(100, (long) settings.overprovisioning() * l.eligibleCount() / l.judgedAll());
      sum += health[p];
      ls.add(l);
    }
    int total = Math.min(100, sum);
    if (total == 100) {
      // Envoy judges panic only while the levels together lack capacity: here they do not.
      for (int p = 0; p < ls.size(); p++) {
        Level l = ls.get(p);
        if (l.panic()) {
          ls.set(p, level(l.priority(), toArray(levels.get(l.priority())), p == 0, 0.0, label));
        }
      }
    }
    boolean allPanic = total < 100 && ls.stream().allMatch(Level::panic);
    int[] loads;
    if (total == 0 || allPanic) {
      int[] sizes = new int[ls.size()];
      for (int p = 0; p < sizes.length; p++) {
        sizes[p] = ls.get(p).chosen().length;
      }
      loads = byCount(sizes);
    } else {
      loads = distribute(health, total);
    }
    return combine(ls, loads, group, label);
  }

  /** The levels' nodes under one priority choice; the levels that get no requests dropped. */
  private Route combine(List<Level> ls, int[] loads, int[] group, String label) {
    List<Node> children = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    Map<Integer, Integer> levelLoads = new LinkedHashMap<>();
    boolean[] in = new boolean[candidates.size()];
    boolean panic = false;
    int eligibleCount = 0;
    int judged = 0;
    Level first = ls.get(0);
    for (int p = 0; p < ls.size(); p++) {
      Level l = ls.get(p);
      eligibleCount += l.eligibleCount();
      judged += l.judged();
      int load = l.chosen().length == 0 ? 0 : loads[p];
      levelLoads.put(l.priority(), load);
      if (load == 0) {
        continue;
      }
      children.add(l.node());
      weights.add(load);
      labels.add("priority " + l.priority());
      panic |= l.panic();
      for (int i : l.chosen()) {
        in[i] = true;
      }
    }
    if (children.isEmpty()) {
      // Nothing anywhere: the message is the whole group's, as one level would give it.
      SnapshotBuilder.Eligibility whole = SnapshotBuilder.decide(sub(group), anyProbed,
          settings.connectingPickable(), settings.panicThreshold(), null, label, emptyReason);
      return new Route(null, new int[0], false, eligibleCount, judged, whole.unavailable(), levelLoads, Map.of(),
          first.legacyZone());
    }
    Node root = children.size() == 1 ? children.get(0)
        : new Choice(weights.stream().mapToInt(Integer::intValue).toArray(), children.toArray(new Node[0]), 0,
            labels.toArray(new String[0]));
    List<Integer> chosen = new ArrayList<>();
    for (int i = 0; i < in.length; i++) {
      if (in[i]) {
        chosen.add(i);
      }
    }
    return new Route(root, toArray(chosen), panic, eligibleCount, judged, null, levelLoads, first.zoneShares(),
        first.legacyZone());
  }

  /**
   * Envoy's {@code distributeLoad}, healthy pass: each level in order takes
   * {@code health × 100 / total} of what is left; rounding leftovers go to the first level with
   * health.
   */
  static int[] distribute(int[] health, int total) {
    int[] loads = new int[health.length];
    int budget = 100;
    for (int p = 0; p < health.length; p++) {
      loads[p] = Math.min(budget, health[p] * 100 / total);
      budget -= loads[p];
    }
    for (int p = 0; p < health.length && budget > 0; p++) {
      if (health[p] > 0) {
        loads[p] += budget;
        budget = 0;
      }
    }
    return loads;
  }

  /** Envoy's total-panic split: by endpoint counts, the remainder to the first non-empty level. */
  static int[] byCount(int[] sizes) {
    int[] loads = new int[sizes.length];
    long total = 0;
    for (int s : sizes) {
      total += s;
    }
    if (total == 0) {
      return loads;
    }
    int budget = 100;
    for (int p = 0; p < sizes.length; p++) {
      loads[p] = (int) (100L * sizes[p] / total);
      budget -= loads[p];
    }
    for (int p = 0; p < sizes.length && budget > 0; p++) {
      if (sizes[p] > 0) {
        loads[p] += budget;
        budget = 0;
      }
    }
    return loads;
  }

  // ---- one level: aperture, eligibility and panic, zones ----

  private Level level(int priority, int[] members, boolean first, double threshold, String label) {
    int[] m = members;
    if (settings.aperture() != null) {
      ApertureRing.Slice slice = ApertureRing.select(usable(members), eligible, endpoints, settings.aperture(), peers);
      m = slice.members();
      for (int k = 0; k < m.length; k++) {
        accept[m[k]] = slice.accept()[k];
      }
    }
    boolean zoneAware = first && settings.localZone() != null && !peers.zones().isEmpty();
    String legacyZone = first && !zoneAware ? settings.localZone() : null;
    SnapshotBuilder.Eligibility d = SnapshotBuilder.decide(sub(m), anyProbed,
        settings.connectingPickable(), threshold, legacyZone, label, emptyReason);
    int[] chosen = new int[d.chosen().length];
    for (int k = 0; k < chosen.length; k++) {
      chosen[k] = m[d.chosen()[k]];
    }
    int judgedAll = 0;
    for (int i : m) {
      SnapshotBuilder.Candidate c = candidates.get(i);
      if (c.status() != EndpointStatus.DRAINING && (eligible[i] || c.status() != EndpointStatus.UNKNOWN)) {
        judgedAll++;
      }
    }
    // A policy that skips unavailable endpoints keeps one picker over the level's usable ones, so a
    // key moves only when its own endpoint becomes unavailable (A42); the chosen ones are pickable.
    Node node = leaf(settings.skipsUnavailable() && chosen.length > 0 ? usable(m) : chosen);
    Map<String, Double> shares = Map.of();
    if (zoneAware && !d.panic() && chosen.length > 0) {
      ZoneRouting.Split split = ZoneRouting.split(chosen, endpoints, settings.localZone(), peers.zones(),
          settings.zoneMinSize(), this::leaf);
      node = split.node();
      shares = split.shares();
    }
    return new Level(priority, node, chosen, d.panic(), d.eligibleCount(), d.judged(), judgedAll, d.unavailable(),
        d.zone(), shares);
  }

  /** A leaf over these members with their aperture shares. */
  private Leaf leaf(int[] members) {
    double[] a = null;
    for (int k = 0; k < members.length; k++) {
      if (accept[members[k]] < 1.0) {
        if (a == null) {
          a = new double[members.length];
          Arrays.fill(a, 1.0);
        }
        a[k] = accept[members[k]];
      }
    }
    return new Leaf(members, a);
  }

  private int[] usable(int[] members) {
    int count = 0;
    int[] out = new int[members.length];
    for (int i : members) {
      if (candidates.get(i).status() != EndpointStatus.DRAINING) {
        out[count++] = i;
      }
    }
    return Arrays.copyOf(out, count);
  }

  private List<SnapshotBuilder.Candidate> sub(int[] members) {
    List<SnapshotBuilder.Candidate> out = new ArrayList<>(members.length);
    for (int i : members) {
      out.add(candidates.get(i));
    }
    return out;
  }

  static int[] toArray(List<Integer> list) {
    int[] out = new int[list.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = list.get(k);
    }
    return out;
  }
}
