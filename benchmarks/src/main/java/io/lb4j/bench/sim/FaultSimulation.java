package io.lb4j.bench.sim;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.ProbeResult;
import io.lb4j.okhttp.RetryBudget;
import io.lb4j.okhttp.RetryPolicy;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import okhttp3.Request;

/**
 * One deterministic discrete-event run of a {@link FaultScenario}: closed-loop clients or random
 * arrivals → backends of finite or unlimited capacity, through lb4j's real
 * {@link LoadBalancer} (P2C) with the scenario's {@link FaultSettings} (panic threshold, outlier
 * detection, active checks), real {@link HealthChecker} verdicts (probes answered from the simulated
 * backends' state; a vanished host's probes time out), and the OkHttp adapter's real {@link RetryPolicy}
 * (retryability, {@link RetryPolicy#retryEndpoint retry endpoint}, backoff) and {@link RetryBudget},
 * all on one {@link FakeClock}, the balancer's ticker and scheduler (its own outlier sweeps, probe
 * rounds and rebuilds run when the event loop moves time past them). The attempt loop follows
 * {@code LoadBalancingInterceptor}:
 * pick, send, release, and on a retryable failure choose another endpoint, withdraw from the budget,
 * pause, send again.
 *
 * <p>The backends and the backoff draw from one seeded {@link SplittableRandom}; lb4j's P2C draws
 * from {@code ThreadLocalRandom}, so runs with one seed still vary slightly. Single-threaded; use once.
 */
final class FaultSimulation {

  private static final long MS = 1_000_000L;
  /** A refused connection on loopback. */
  private static final long REFUSED_NANOS = MS / 5;

  private static final int DONE = 0;
  private static final int SEND = 1;
  private static final int ARRIVAL = 2;

  private final FaultScenario scenario;
  private final FaultSettings settings;
  private final long seed;
  private final SplittableRandom random;
  private final FakeClock clock = new FakeClock();
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final Backend[] backends;
  private final Map<String, Integer> index = new HashMap<>();
  private final RetryPolicy retry;
  private final Request get = new Request.Builder().url("http://sim/").build();
  private final int[] ejections;
  private final List<Long> okLatencies = new ArrayList<>();
  private final List<Long> failedLatencies = new ArrayList<>();
  private final List<Long> allLatencies = new ArrayList<>();
  private long seq;
  private int started;
  private int completed;
  private int failed;
  private int failed503;
  private int failedConnect;
  private int failedNoEndpoint;
  private int failedTimeout;
  private int retries;
  private int budgetExhausted;
  private int maxHits;
  private long endNanos;
  private long panicSince = -1;
  private long panicNanos;
  private LoadBalancer lb;
  private RetryBudget budget;

  FaultSimulation(FaultScenario scenario, long seed) {
    this.scenario = scenario;
    this.settings = scenario.settings();
    this.seed = seed;
    this.random = new SplittableRandom(seed);
    this.backends = new Backend[scenario.backends().size()];
    for (int i = 0; i < backends.length; i++) {
      backends[i] = new Backend(scenario.backends().get(i));
    }
    this.ejections = new int[backends.length];
    this.retry = RetryPolicy.builder().maxAttempts(settings.maxAttempts()).build();
  }

  FaultResult run() {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < backends.length; i++) {
      Endpoint e = Endpoint.of("10.0.0." + (i + 1), 8080);
      endpoints.add(e);
      index.put(e.address(), i);
      backends[i].update(0);
    }
    LoadBalancer.Builder b = LoadBalancer.builder().name("fault-" + scenario.name()).endpoints(endpoints)
        .policy(Policies.powerOfTwoChoices()).panicThreshold(settings.panicThreshold())
        .ticker(clock).scheduler(clock)
        .listener(new LoadBalancerListener() {
          @Override
          public void onStatusChange(String name, Endpoint e, EndpointStatus from, EndpointStatus to, String why) {
            if (to == EndpointStatus.EJECTED) {
              ejections[index.get(e.address())]++;
            }
          }

          @Override
          public void onPanic(String name, boolean panic, int eligible, int total) {
            if (completed == scenario.requests()) {
              return; // after the run
            }
            if (panic && panicSince < 0) {
              panicSince = clock.nanos();
            } else if (!panic && panicSince >= 0) {
              panicNanos += clock.nanos() - panicSince;
              panicSince = -1;
            }
          }
        });
    OutlierDetectionConfig od = settings.outlierDetectionConfig();
    if (od != null) {
      b.outlierDetection(od);
    }
    HealthCheckConfig checks = settings.healthCheck();
    if (checks != null) {
      b.healthCheck(checks, e -> probe(backends[index.get(e.address())]));
    }
    lb = b.build();
    budget = RetryBudget.builder().clock(clock.asClock()).percentCanRetry(settings.retryBudgetPercent())
        .minRetriesPerSecond(settings.retryBudgetMinPerSecond()).build();
    try {
      if (scenario.clients() > 0) {
        for (int c = 0; c < scenario.clients(); c++) {
          startRequest();
        }
      } else {
        schedule(0, ARRIVAL, null);
      }
      if (checks != null) {
        lb.healthChecker().orElseThrow().probeAll(); // a first round at once; the balancer's own rounds follow
      }
      // Bounded: each request makes at most maxAttempts attempts; the balancer's own probes and
      // sweeps run only while the loop moves time, so they stop with the last event.
      Event ev;
      while ((ev = events.poll()) != null) {
        clock.forwardTo(ev.time);
        switch (ev.type) {
          case DONE -> {
            if (ev.time == ev.attempt.endsAt) { // else its end was moved (its backend went down)
              done(ev.attempt);
            }
          }
          case SEND -> send(ev.attempt.request, ev.attempt.next);
          case ARRIVAL -> arrive();
          default -> throw new IllegalStateException("unknown event " + ev.type);
        }
      }
      if (panicSince >= 0) {
        panicNanos += Math.max(0, endNanos - panicSince);
      }
      return result();
    } finally {
      lb.close();
    }
  }

  /** A health probe's answer: at once from a live or refusing backend, never from a vanished host. */
  private static CompletableFuture<ProbeResult> probe(Backend backend) {
    if (backend.up) {
      return CompletableFuture.completedFuture(ProbeResult.healthy("200"));
    }
    return backend.spec.blackholed() ? new CompletableFuture<>() // the checker's timeout fails it
        : CompletableFuture.completedFuture(ProbeResult.unhealthy("ConnectException: connection refused"));
  }

  /** An open-loop arrival: a request now, the next one after an exponential gap. */
  private void arrive() {
    startRequest();
    if (started < scenario.requests()) {
      schedule(clock.nanos() + (long) (-Math.log(1 - random.nextDouble()) * 1e9 / scenario.requestsPerSecond()),
          ARRIVAL, null);
    }
  }

  private void startRequest() {
    if (started == scenario.requests()) {
      return;
    }
    started++;
    send(new Req(clock.nanos()), null);
  }

  /** One attempt: the first picks, a retry begins on the endpoint chosen for it. */
  private void send(Req r, Endpoint next) {
    Selection s;
    try {
      s = next == null ? lb.pick(PickContext.EMPTY) : lb.begin(next);
    } catch (NoEndpointAvailableException e) {
      failedNoEndpoint++;
      finish(r, false);
      return;
    }
    r.attempts++;
    maxHits = Math.max(maxHits, r.attempts);
    int i = index.get(s.endpoint().address());
    Backend backend = backends[i];
    backend.attempts++;
    if (backend.restarted || backend.healed) {
      backend.afterRestart++;
    }
    Attempt a = new Attempt(r, s, i, clock.nanos());
    long now = clock.nanos();
    if (!backend.up && backend.spec.blackholed()) {
      a.outcome = Outcome.TIMEOUT;
      schedule(now + settings.timeout().toNanos(), DONE, a);
    } else if (!backend.up) {
      a.outcome = Outcome.CONNECT_FAILURE;
      schedule(now + REFUSED_NANOS, DONE, a);
    } else if (backend.flappedOff(now)
        || (!backend.healed && random.nextDouble() < backend.spec.failureProbability())) {
      a.outcome = Outcome.SERVER_ERROR;
      schedule(now + (long) (backend.spec.failMillis() * MS), DONE, a);
    } else if (scenario.concurrency() == 0 || backend.inService.size() < scenario.concurrency()) {
      serve(backend, a);
    } else if (backend.queue.size() < scenario.queueLimit()) {
      backend.queue.add(a);
    } else {
      a.outcome = Outcome.SERVER_ERROR; // overloaded: its queue is full
      schedule(now + (long) (backend.spec.failMillis() * MS), DONE, a);
    }
  }

  private void serve(Backend backend, Attempt a) {
    a.outcome = Outcome.SUCCESS;
    backend.inService.add(a);
    double mean = backend.slow ? backend.spec.slowMillis() : backend.spec.serviceMillis();
    schedule(clock.nanos() + (long) (mean * (0.5 + random.nextDouble()) * MS), DONE, a);
  }

  private void done(Attempt a) {
    if (a.finished) {
      return; // already ended when its backend stopped
    }
    a.finished = true;
    Backend backend = backends[a.backend];
    if (backend.inService.remove(a)) {
      Attempt waiting = backend.queue.poll();
      if (waiting != null) {
        serve(backend, waiting);
      }
    }
    a.selection.release(a.outcome, clock.nanos() - a.start);
    Req r = a.request;
    r.tried.add(a.selection.endpoint());
    if (a.outcome == Outcome.SUCCESS) {
      finish(r, true);
      return;
    }
    Endpoint next = r.attempts < scenario.maxAttempts() ? retryTarget(r, a.outcome) : null;
    if (next == null) {
      if (a.outcome == Outcome.SERVER_ERROR) {
        failed503++;
      } else if (a.outcome == Outcome.CONNECT_FAILURE) {
        failedConnect++;
      } else if (a.outcome == Outcome.TIMEOUT) {
        failedTimeout++;
      }
      finish(r, false);
      return;
    }
    Attempt pause = new Attempt(r, null, -1, clock.nanos());
    pause.next = next;
    schedule(clock.nanos() + retry.backoffNanos(r.attempts, null), SEND, pause);
  }

  /** As {@code LoadBalancingInterceptor.retryTarget}: retryable, an endpoint to go to, the budget. */
  private Endpoint retryTarget(Req r, Outcome outcome) {
    if (!retry.isRetryable(get, outcome)) {
      return null;
    }
    Endpoint other;
    try {
      other = retry.retryEndpoint(lb, PickContext.EMPTY, r.tried);
    } catch (NoEndpointAvailableException | IllegalStateException e) {
      return null;
    }
    if (retry.withdrawsFromBudget(outcome) && !budget.tryWithdraw()) {
      budgetExhausted++;
      return null;
    }
    retries++;
    return other;
  }

  private void finish(Req r, boolean ok) {
    completed++;
    endNanos = clock.nanos();
    long latency = clock.nanos() - r.start;
    allLatencies.add(latency);
    if (ok) {
      okLatencies.add(latency);
    } else {
      failed++;
      failedLatencies.add(latency);
    }
    double share = (double) completed / scenario.requests();
    for (Backend b : backends) {
      b.update(share);
    }
    budget.deposit();
    if (scenario.clients() > 0) {
      startRequest(); // the client's next request
    }
  }

  private void schedule(long time, int type, Attempt a) {
    if (type == DONE) {
      a.endsAt = time;
    }
    events.add(new Event(time, seq++, type, a));
  }

  private FaultResult result() {
    long[] perBackend = new long[backends.length];
    long afterRestart = 0;
    int inFlight = 0;
    for (int i = 0; i < backends.length; i++) {
      perBackend[i] = backends[i].attempts;
      afterRestart += backends[i].afterRestart;
    }
    for (Endpoint e : lb.endpoints()) {
      inFlight += lb.inFlight(e);
    }
    return new FaultResult(scenario.name(), seed, completed, failed, failed503, failedConnect, failedNoEndpoint,
        failedTimeout, retries, budgetExhausted, maxHits, ejections.clone(), panicNanos / 1e9, endNanos / 1e9,
        perBackend, afterRestart, quantile(okLatencies, 0.5), quantile(okLatencies, 0.99),
        quantile(failedLatencies, 0.99), quantile(allLatencies, 0.99), inFlight);
  }

  /** The q-quantile of {@code values} (nanoseconds), in milliseconds. */
  private static double quantile(List<Long> values, double q) {
    long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return Simulation.quantile(sorted, q);
  }

  /** A simulated backend; its state follows the share of the run completed. */
  private final class Backend {
    final FaultBackend spec;
    final List<Attempt> inService = new ArrayList<>();
    final ArrayDeque<Attempt> queue = new ArrayDeque<>();
    boolean up = true;
    boolean slow;
    boolean healed;
    boolean restarted;
    long attempts;
    long afterRestart;

    Backend(FaultBackend spec) {
      this.spec = spec;
    }

    void update(double share) {
      boolean wasUp = up;
      boolean downNow = spec.downAfter() >= 0 && share >= spec.downAfter()
          && !(spec.upAfter() >= 0 && share >= spec.upAfter());
      up = !downNow;
      slow = spec.slowAfter() >= 0 && share >= spec.slowAfter();
      healed = spec.healAfter() >= 0 && share >= spec.healAfter();
      if (!wasUp && up) {
        restarted = true;
      }
      if (wasUp && !up) {
        // Stopping the server resets the connections of the requests it was serving; a vanished
        // host leaves them waiting for the client's timeout.
        List<Attempt> lost = new ArrayList<>(inService);
        lost.addAll(queue);
        inService.clear();
        queue.clear();
        for (Attempt a : lost) {
          a.outcome = spec.blackholed() ? Outcome.TIMEOUT : Outcome.SERVER_ERROR;
          schedule(clock.nanos() + (spec.blackholed() ? settings.timeout().toNanos() : 0), DONE, a);
        }
      }
    }

    /** Whether a flapping backend is in a window where it answers every request with a 503. */
    boolean flappedOff(long nanos) {
      return spec.flapMillis() > 0 && (long) (nanos / (spec.flapMillis() * MS)) % 2 == 1;
    }
  }

  private static final class Req {
    final long start;
    final List<Endpoint> tried = new ArrayList<>(3);
    int attempts;

    Req(long start) {
      this.start = start;
    }
  }

  private static final class Attempt {
    final Req request;
    final Selection selection;
    final int backend;
    final long start;
    Outcome outcome;
    Endpoint next;
    boolean finished;
    long endsAt;

    Attempt(Req request, Selection selection, int backend, long start) {
      this.request = request;
      this.selection = selection;
      this.backend = backend;
      this.start = start;
    }
  }

  private record Event(long time, long seq, int type, Attempt attempt) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
