package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.testing.Balancers;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two threads release the same selection at the same moment, many times over: exactly one release
 * counts (one outcome, in-flight back to 0), whichever wins the race.
 */
class ReleaseRaceTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final int ROUNDS = 20_000;

  @RegisterExtension
  final Balancers lbs = new Balancers();

  @Test
  void aRacingSecondReleaseNeverCounts() throws Exception {
    LoadBalancer lb = lbs.of(A);
    CyclicBarrier start = new CyclicBarrier(2);
    Selection[] current = new Selection[1];
    ExecutorService racers = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        current[0] = lb.pick();
        Future<?> first = racers.submit(() -> race(start, current[0], Outcome.SUCCESS));
        Future<?> second = racers.submit(() -> race(start, current[0], Outcome.SERVER_ERROR));
        first.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        assertEquals(0, lb.inFlight(A), "round " + round);
      }
    } finally {
      racers.shutdownNow();
    }
    assertEquals(ROUNDS, lb.requests(A, Outcome.SUCCESS) + lb.requests(A, Outcome.SERVER_ERROR));
  }

  private static Void race(CyclicBarrier start, Selection s, Outcome outcome) throws Exception {
    start.await(10, TimeUnit.SECONDS);
    s.release(outcome, 1);
    return null;
  }
}
