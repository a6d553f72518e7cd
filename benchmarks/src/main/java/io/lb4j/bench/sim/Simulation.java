package io.lb4j.bench.sim;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.bench.PolicyNames;
import io.lb4j.bench.StaticView;
import io.lb4j.okhttp.RetryBudget;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Picker;
import io.lb4j.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * One deterministic discrete-event run of a {@link Scenario} under one policy: Poisson arrivals →
 * the real {@link LoadBalancer} (the named policy, outlier detection) → simulated backends; failed
 * attempts retry (up to {@value #MAX_ATTEMPTS} attempts) while the real {@link RetryBudget} allows.
 * Time is a {@link FakeClock}, the balancer's ticker and scheduler: the event loop moves it to each
 * event, which first runs the balancer's own work that fell due (outlier sweeps every simulated
 * {@value #SWEEP_MILLIS} ms, the rebuilds that ejections asked for).
 *
 * <p>Arrivals, keys, service times and failures come from one seeded {@link SplittableRandom}; lb4j's
 * randomized pickers (random, P2C, least request, round robin's starting offset) draw from
 * {@code ThreadLocalRandom}, so their runs vary slightly. Single-threaded; use once.
 */
final class Simulation {

  static final int MAX_ATTEMPTS = 2;
  static final long SWEEP_MILLIS = 1_000;
  static final int USERS = 10_000;
  private static final long CONNECT_REFUSED_NANOS = 1_000_000L;
  private static final int CDF_POINTS = 200;

  private static final int ARRIVAL = 0;
  private static final int DONE = 1;
  private static final int DOWN = 2;
  private static final int UP = 3;

  private final Scenario scenario;
  private final String policy;
  private final SplittableRandom random;
  private final FakeClock clock = new FakeClock();
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final Backend[] backends;
  private final Map<Endpoint, Integer> index = new HashMap<>();
  private final long[] userHashes = new long[USERS];
  private final long hotHash = PickContext.hashKey("hot-user");
  private final long endNanos;
  private long seq;
  private long[] latencies = new long[1 << 16];
  private int completed;
  private long errors;
  private long retries;
  private int ejections;
  private LoadBalancer lb;
  private RetryBudget budget;
  /** Hash policies only: the same policy with nothing in flight, which gives each key's home. */
  private Picker home;
  private long otherKeyAttempts;
  private long otherKeyHome;
  /** Per user key: attempts, and attempts at home (hash policies only). */
  private final int[] userAttempts = new int[USERS];
  private final int[] userHome = new int[USERS];

  Simulation(Scenario scenario, String policy, long seed) {
    this.scenario = scenario;
    this.policy = policy;
    this.random = new SplittableRandom(seed);
    this.endNanos = scenario.durationSeconds() * 1_000_000_000L;
    this.backends = new Backend[scenario.backends().size()];
    for (int i = 0; i < backends.length; i++) {
      backends[i] = new Backend(scenario.backends().get(i), scenario.durationSeconds() + 1);
    }
    for (int i = 0; i < USERS; i++) {
      userHashes[i] = PickContext.hashKey("user-" + i);
    }
  }

  SimResult run() {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < backends.length; i++) {
      Endpoint e = Endpoint.of("10.0.0." + (i + 1), 8080).withWeight(backends[i].spec.weight());
      endpoints.add(e);
      index.put(e, i);
    }
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .interval(Duration.ofMillis(SWEEP_MILLIS))
        .baseEjectionTime(Duration.ofSeconds(5))
        .maxEjectionPercent(30)
        .build();
    try {
      lb = LoadBalancer.builder().name("sim-" + scenario.name() + "-" + policy).endpoints(endpoints)
          .policy(PolicyNames.of(policy)).outlierDetection(od).ticker(clock).scheduler(clock)
          .listener(new LoadBalancerListener() {
            @Override
            public void onStatusChange(String name, Endpoint e, EndpointStatus from, EndpointStatus to, String why) {
              if (to == EndpointStatus.EJECTED) {
                ejections++;
              }
            }
          }).build();
    } catch (UnsupportedOperationException e) {
      return SimResult.skipped(scenario.name(), policy, String.valueOf(e.getMessage()));
    }
    if (PolicyNames.isHash(policy)) {
      home = PolicyNames.of(policy).newPicker(StaticView.of(endpoints));
    }
    budget = RetryBudget.builder().clock(clock.asClock()).build();
    try {
      schedule(0, ARRIVAL, null, -1);
      for (int i = 0; i < backends.length; i++) {
        BackendSpec s = backends[i].spec;
        if (s.downAtSeconds() >= 0) {
          schedule((long) (s.downAtSeconds() * 1e9), DOWN, null, i);
        }
        if (s.upAtSeconds() >= 0) {
          schedule((long) (s.upAtSeconds() * 1e9), UP, null, i);
        }
      }
      // Bounded: arrivals stop at endNanos, after which every event only drains what is left.
      Event ev;
      while ((ev = events.poll()) != null) {
        clock.forwardTo(ev.time);
        switch (ev.type) {
          case ARRIVAL -> arrive();
          case DONE -> done(ev.attempt, null);
          case DOWN -> down(ev.backend);
          case UP -> backends[ev.backend].up = true;
          default -> throw new IllegalStateException("unknown event " + ev.type);
        }
      }
    } finally {
      lb.close();
    }
    return result();
  }

  private void arrive() {
    long now = clock.nanos();
    boolean hot = random.nextDouble() < scenario.hotKeyShare();
    int user = hot ? -1 : random.nextInt(USERS);
    long hash = hot ? hotHash : userHashes[user];
    budget.deposit();
    attempt(new Request(now, PickContext.ofHash(hash), user));
    long next = now + (long) (exponential(1e9 / scenario.requestsPerSecond()));
    if (next < endNanos) {
      schedule(next, ARRIVAL, null, -1);
    }
  }

  private void attempt(Request r) {
    long now = clock.nanos();
    r.attempts++;
    Selection s;
    try {
      s = lb.pick(r.ctx);
    } catch (NoEndpointAvailableException e) {
      finish(r, false);
      return;
    }
    int b = index.get(s.endpoint());
    Backend backend = backends[b];
    backend.attempts++;
    if (home != null && r.user >= 0) {
      int atHome = home.pick(r.ctx).endpoint().equals(s.endpoint()) ? 1 : 0;
      otherKeyAttempts++;
      otherKeyHome += atHome;
      userAttempts[r.user]++;
      userHome[r.user] += atHome;
    }
    backend.perSecond[(int) Math.min(backend.perSecond.length - 1, now / 1_000_000_000L)]++;
    Attempt a = new Attempt(r, s, b, now);
    if (!backend.up) {
      a.forced = Outcome.CONNECT_FAILURE;
      schedule(now + CONNECT_REFUSED_NANOS, DONE, a, b);
    } else if (backend.inService.size() < backend.spec.concurrency()) {
      serve(backend, a);
    } else if (backend.queue.size() < backend.spec.queueLimit()) {
      backend.queue.add(a);
    } else {
      a.forced = Outcome.SERVER_ERROR; // queue full: an immediate 503
      schedule(now, DONE, a, b);
    }
  }

  private void serve(Backend backend, Attempt a) {
    backend.inService.add(a);
    schedule(clock.nanos() + (long) (serviceMillis(backend.spec) * 1e6), DONE, a, a.backend);
  }

  private void done(Attempt a, Outcome forced) {
    if (a.finished) {
      return; // already failed when its backend died
    }
    a.finished = true;
    long now = clock.nanos();
    Backend backend = backends[a.backend];
    Outcome outcome = forced != null ? forced : a.forced != null ? a.forced
        : random.nextDouble() < backend.spec.failureProbability() ? Outcome.SERVER_ERROR : Outcome.SUCCESS;
    if (backend.inService.remove(a)) {
      Attempt next = backend.queue.poll();
      if (next != null && backend.up) {
        serve(backend, next);
      }
    }
    a.selection.release(outcome, now - a.start);
    Request r = a.request;
    if (outcome == Outcome.SUCCESS) {
      finish(r, true);
    } else if (r.attempts < MAX_ATTEMPTS && budget.tryWithdraw()) {
      retries++;
      attempt(r);
    } else {
      finish(r, false);
    }
  }

  private void down(int b) {
    Backend backend = backends[b];
    backend.up = false;
    List<Attempt> lost = new ArrayList<>(backend.inService);
    lost.addAll(backend.queue);
    backend.queue.clear();
    for (Attempt a : lost) {
      done(a, Outcome.CONNECT_FAILURE); // connection reset
    }
  }

  private void finish(Request r, boolean ok) {
    if (!ok) {
      errors++;
    }
    if (completed == latencies.length) {
      latencies = Arrays.copyOf(latencies, completed * 2);
    }
    latencies[completed++] = clock.nanos() - r.start;
  }

  private double serviceMillis(BackendSpec spec) {
    double mean = spec.meanServiceMillisAt(clock.nanos() / 1e9);
    double sigma = spec.logNormalSigma();
    if (sigma == 0) {
      return exponential(mean);
    }
    double mu = Math.log(mean) - sigma * sigma / 2;
    return Math.exp(mu + sigma * random.nextGaussian());
  }

  private double exponential(double mean) {
    return -mean * Math.log(1 - random.nextDouble());
  }

  private void schedule(long time, int type, Attempt a, int backend) {
    events.add(new Event(time, seq++, type, a, backend));
  }

  private SimResult result() {
    long[] sorted = Arrays.copyOf(latencies, completed);
    Arrays.sort(sorted);
    double[] cdf = new double[completed == 0 ? 0 : CDF_POINTS];
    for (int i = 0; i < cdf.length; i++) {
      cdf[i] = quantile(sorted, (i + 1.0) / CDF_POINTS);
    }
    long[] perBackend = new long[backends.length];
    int[][] perSecond = new int[backends.length][];
    for (int i = 0; i < backends.length; i++) {
      perBackend[i] = backends[i].attempts;
      perSecond[i] = backends[i].perSecond;
    }
    return new SimResult(scenario.name(), policy, null, completed, errors, retries, ejections,
        quantile(sorted, 0.50), quantile(sorted, 0.99), quantile(sorted, 0.999), perBackend, cdf, perSecond,
        home == null || otherKeyAttempts == 0 ? Double.NaN : (double) otherKeyHome / otherKeyAttempts,
        home == null ? Double.NaN : keysMostlyHome());
  }

  /** Of the user keys that made an attempt, the share with more than half of their attempts at home. */
  private double keysMostlyHome() {
    int keys = 0;
    int mostlyHome = 0;
    for (int u = 0; u < USERS; u++) {
      if (userAttempts[u] > 0) {
        keys++;
        mostlyHome += 2 * userHome[u] > userAttempts[u] ? 1 : 0;
      }
    }
    return keys == 0 ? Double.NaN : (double) mostlyHome / keys;
  }

  /** The q-quantile of sorted nanoseconds, in milliseconds. */
  static double quantile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static final class Backend {
    final BackendSpec spec;
    final ArrayDeque<Attempt> queue = new ArrayDeque<>();
    final List<Attempt> inService = new ArrayList<>();
    final int[] perSecond;
    long attempts;
    boolean up = true;

    Backend(BackendSpec spec, int seconds) {
      this.spec = spec;
      this.perSecond = new int[seconds];
    }
  }

  private static final class Request {
    final long start;
    final PickContext ctx;
    /** Index of the user key, or -1 for the hot key. */
    final int user;
    int attempts;

    Request(long start, PickContext ctx, int user) {
      this.start = start;
      this.ctx = ctx;
      this.user = user;
    }
  }

  private static final class Attempt {
    final Request request;
    final Selection selection;
    final int backend;
    final long start;
    Outcome forced;
    boolean finished;

    Attempt(Request request, Selection selection, int backend, long start) {
      this.request = request;
      this.selection = selection;
      this.backend = backend;
      this.start = start;
    }
  }

  private record Event(long time, long seq, int type, Attempt attempt, int backend) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
