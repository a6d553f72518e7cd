package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The setup most balancer tests share, as a JUnit extension ({@code @RegisterExtension final
 * Balancers lbs = new Balancers();}): one {@link FakeClock} (ticker and scheduler), one
 * {@link RecordingListener}, and every balancer built through it closed after each test. Plus the
 * pick/release helpers those tests use. Not thread-safe: one test, one instance.
 */
public final class Balancers implements AfterEachCallback {

  /** The fake time of every balancer built here. */
  public final FakeClock clock = new FakeClock();
  /** The listener of every balancer built here. */
  public final RecordingListener listener = new RecordingListener();
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  /** A builder on {@link #clock} with {@link #listener} and the exact test round robin. */
  public LoadBalancer.Builder builder(String name) {
    return LoadBalancer.builder().name(name).ticker(clock).scheduler(clock).listener(listener)
        .policy(TestPolicies.roundRobin());
  }

  /** Builds and closes it after the test. */
  public LoadBalancer build(LoadBalancer.Builder builder) {
    return track(builder.build());
  }

  /** A test-round-robin balancer named {@code "t"} over these endpoints. */
  public LoadBalancer of(Endpoint... endpoints) {
    return build(builder("t").endpoints(List.of(endpoints)));
  }

  /** Closes {@code c} after the test (before the balancers built earlier). */
  public <T extends AutoCloseable> T track(T c) {
    opened.push(c);
    return c;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** {@code 127.0.0.1:(base + 1)} .. {@code 127.0.0.1:(base + n)}. */
  public static List<Endpoint> endpoints(int base, int n) {
    List<Endpoint> list = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      list.add(Endpoint.of("127.0.0.1", base + i));
    }
    return list;
  }

  /** Picks, releases as a success at once, and returns the endpoint. */
  public static Endpoint pickAndRelease(LoadBalancer lb) {
    Selection s = lb.pick();
    Endpoint e = s.endpoint();
    s.release(Outcome.SUCCESS, 0);
    return e;
  }

  /** Picks (releasing the others as cancelled) until {@code wanted} comes up; bounded. */
  public static Selection pickUntil(LoadBalancer lb, Endpoint wanted) {
    for (int i = 0; i < 10_000; i++) {
      Selection s = lb.pick();
      if (s.endpoint().equals(wanted)) {
        return s;
      }
      s.release(Outcome.CANCELLED, 0);
    }
    throw new AssertionError(wanted + " not picked in 10,000 picks");
  }

  /**
   * Releases {@code count} requests to {@code target} with {@code outcome}, going through pick (so
   * the target must be pickable), then runs what fell due (the rebuild they asked for).
   */
  public void release(LoadBalancer lb, Endpoint target, Outcome outcome, int count) {
    int done = 0;
    for (int guard = 0; done < count && guard < 100_000; guard++) {
      Selection s = lb.pick();
      if (s.endpoint().equals(target)) {
        s.release(outcome, 1_000);
        done++;
      } else {
        s.release(Outcome.CANCELLED, 1_000);
      }
    }
    assertEquals(count, done, "could not route " + count + " requests to " + target);
    clock.runDue();
  }

  /**
   * Releases {@code count} requests to {@code target} with {@code outcome} through
   * {@link LoadBalancer#begin} (whatever its status), then runs what fell due.
   */
  public void record(LoadBalancer lb, Endpoint target, Outcome outcome, int count) {
    for (int i = 0; i < count; i++) {
      lb.begin(target).release(outcome, 1_000);
    }
    clock.runDue();
  }

  /** Probes every endpoint now, waits for the answers (bounded) and runs the rebuild they ask for. */
  public void probeRound(LoadBalancer lb) {
    try {
      lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("probe round did not complete", e);
    }
    clock.runDue();
  }
}
