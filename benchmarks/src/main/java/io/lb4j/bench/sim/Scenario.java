package io.lb4j.bench.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One simulated situation: a fleet, an open-loop Poisson arrival rate, a duration, and how request
 * keys are drawn (uniform over 10,000 users, with {@code hotKeyShare} of the requests carrying one
 * hot key). Immutable.
 *
 * @param name short name, used in tables and the report
 * @param description one line saying what happens
 * @param question what the scenario asks of the policies, one sentence; the report answers it
 * @param backends the fleet (at least one)
 * @param requestsPerSecond arrival rate
 * @param durationSeconds simulated seconds of arrivals
 * @param hotKeyShare fraction of requests with the hot key (0 for none)
 */
public record Scenario(String name, String description, String question, List<BackendSpec> backends,
    double requestsPerSecond, int durationSeconds, double hotKeyShare) {

  /** Validates and copies. */
  public Scenario {
    backends = List.copyOf(backends);
    if (question == null || question.isBlank()) {
      throw new IllegalArgumentException("question must not be blank, was: " + question);
    }
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("backends must not be empty");
    }
    if (!(requestsPerSecond > 0)) {
      throw new IllegalArgumentException("requestsPerSecond must be > 0, was: " + requestsPerSecond);
    }
    if (durationSeconds < 1) {
      throw new IllegalArgumentException("durationSeconds must be >= 1, was: " + durationSeconds);
    }
    if (!(hotKeyShare >= 0 && hotKeyShare <= 1)) {
      throw new IllegalArgumentException("hotKeyShare must be in [0, 1], was: " + hotKeyShare);
    }
  }

  private static final int N = 8;
  private static final double SERVICE_MS = 10;
  private static final int CONCURRENCY = 8;

  private static List<BackendSpec> fleet() {
    return new ArrayList<>(Collections.nCopies(N, BackendSpec.of(SERVICE_MS, CONCURRENCY)));
  }

  /** 8 equal backends (10 ms exponential, 8 concurrent), 5,000 req/s (about 78 % busy), 10 s. */
  public static Scenario homogeneous(int seconds) {
    return new Scenario("homogeneous", "8 equal backends, 10 ms mean, 8 concurrent each; 5,000 req/s",
        "with every backend equal, does the choice of policy matter?", fleet(), 5000, seconds, 0);
  }

  /**
   * 8 equal backends at 5,000 req/s where 30 % of requests carry one key: more than its home backend
   * can serve (1,500 req/s hot plus its share of the rest, against 800 req/s of capacity).
   */
  public static Scenario hotKey(int seconds) {
    return new Scenario("hot-key", "8 equal backends; 30 % of requests carry one hot key; 5,000 req/s",
        "what happens to a hash policy when one key draws 30 % of all requests?", fleet(), 5000, seconds, 0.3);
  }

  /**
   * 10 backends (10 ms exponential, 32 concurrent: a slow dependency, not CPU, limits them, so a
   * slowed backend is slow without being overloaded), 2,000 req/s; backend 0 turns 10 times slower
   * at t = 10 s and stays so until the end, t = 40 s.
   */
  public static Scenario turnsSlow() {
    List<BackendSpec> fleet = roomyFleet();
    fleet.set(0, fleet.get(0).withSlowdown(BackendSpec.Slowdown.from(10, 10)));
    return new Scenario("turns-slow", "10 backends, 32 concurrent each; backend 0 turns 10x slower (100 ms) at "
        + "t=10 s; 2,000 req/s", "how much of a backend's sudden 10x slowdown reaches callers?", fleet, 2000, 40, 0);
  }

  /**
   * The fleet of {@link #turnsSlow()}, where backend 0's latency oscillates from t = 10 s: 10 times
   * slower for 10 s, normal for 10 s, three times; ends at t = 70 s.
   */
  public static Scenario oscillating() {
    List<BackendSpec> fleet = roomyFleet();
    fleet.set(0, fleet.get(0).withSlowdown(BackendSpec.Slowdown.oscillating(10, 20, 10)));
    return new Scenario("oscillating", "10 backends, 32 concurrent each; from t=10 s backend 0 is 10x slower for "
        + "10 s, then normal for 10 s, three times; 2,000 req/s", "does a backend whose latency comes and goes "
        + "get traffic in waves, flooded each time it looks fast?", fleet, 2000, 70, 0);
  }

  private static List<BackendSpec> roomyFleet() {
    return new ArrayList<>(Collections.nCopies(10, BackendSpec.of(SERVICE_MS, 32)));
  }

  /** The standard scenarios, each run for every policy. */
  public static List<Scenario> standard() {
    List<Scenario> all = new ArrayList<>();
    all.add(homogeneous(30));
    List<BackendSpec> slow = fleet();
    slow.set(0, slow.get(0).withMeanServiceMillis(SERVICE_MS * 10));
    all.add(new Scenario("one-slow", "backend 0 is 10x slower (100 ms); 5,000 req/s",
        "how much does one backend 10x slower than the rest cost callers?", slow, 5000, 30, 0));
    List<BackendSpec> failing = fleet();
    failing.set(0, failing.get(0).withFailureProbability(0.5));
    all.add(new Scenario("one-failing", "backend 0 fails 50 % of requests; 5,000 req/s",
        "do retries and outlier detection hide a backend that fails half its requests?", failing, 5000, 30, 0));
    List<BackendSpec> dies = fleet();
    dies.set(0, dies.get(0).withOutage(30, 60));
    all.add(new Scenario("one-dies", "backend 0 dies at t=30 s, returns at t=60 s; 5,000 req/s",
        "how many requests fail when a backend dies and comes back?", dies, 5000, 90, 0));
    List<BackendSpec> mixed = new ArrayList<>();
    int[] capacity = {2, 2, 4, 4, 8, 8, 16, 16};
    for (int c : capacity) {
      mixed.add(BackendSpec.of(SERVICE_MS, c).withWeight(c).withLogNormal(0.8));
    }
    all.add(new Scenario("heterogeneous", "concurrency 2,2,4,4,8,8,16,16 with matching weights, log-normal "
        + "service; 3,500 req/s (about 58 % of capacity)",
        "do weights that match capacity keep small backends from queueing?", mixed, 3500, 30, 0));
    all.add(hotKey(30));
    all.add(turnsSlow());
    all.add(oscillating());
    return all;
  }
}
