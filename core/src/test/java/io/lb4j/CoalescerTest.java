package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The drain-status state machine behind coalesced rebuilds. */
class CoalescerTest {

  /** Collects dispatched runs; the test runs them. */
  private final Deque<Runnable> queued = new ArrayDeque<>();

  @Test
  void aBurstOfRequestsBeforeTheRunIsOneRun() {
    AtomicInteger runs = new AtomicInteger();
    Coalescer c = new Coalescer(runs::incrementAndGet, queued::add);
    for (int i = 0; i < 10; i++) {
      c.request();
    }
    assertEquals(1, queued.size(), "one run dispatched for ten requests");
    assertEquals(Coalescer.REQUIRED, c.status());
    queued.poll().run();
    assertEquals(1, runs.get());
    assertEquals(Coalescer.IDLE, c.status());
    c.request();
    assertEquals(1, queued.size(), "the next request dispatches again");
  }

  @Test
  void aRequestDuringARunMakesItRunOnceMore() {
    AtomicInteger runs = new AtomicInteger();
    List<Integer> statusesSeen = new ArrayList<>();
    Coalescer[] self = new Coalescer[1];
    self[0] = new Coalescer(() -> {
      statusesSeen.add(self[0].status());
      if (runs.incrementAndGet() == 1) {
        self[0].request();
        self[0].request();
      }
    }, queued::add);
    self[0].request();
    queued.poll().run();
    assertEquals(2, runs.get(), "asked twice during the first run: one more run, not two");
    assertEquals(List.of(Coalescer.RUNNING, Coalescer.RUNNING), statusesSeen);
    assertTrue(queued.isEmpty(), "the repeat runs in the same dispatch");
    assertEquals(Coalescer.IDLE, self[0].status());
  }

  @Test
  void aRejectedDispatchLeavesItIdleAndAThrowingRunDoesNotWedgeIt() {
    Coalescer shutDown = new Coalescer(() -> { }, r -> {
      throw new RejectedExecutionException("shut down");
    });
    shutDown.request();
    assertEquals(Coalescer.IDLE, shutDown.status());

    AtomicInteger runs = new AtomicInteger();
    Coalescer throwing = new Coalescer(() -> {
      if (runs.incrementAndGet() == 1) {
        throw new IllegalStateException("bug");
      }
    }, queued::add);
    throwing.request();
    assertThrows(IllegalStateException.class, () -> queued.poll().run());
    assertEquals(Coalescer.IDLE, throwing.status());
    throwing.request();
    queued.poll().run();
    assertEquals(2, runs.get());
  }

  /**
   * Many threads publish a change and request; one runner drains. Every change must be seen by a
   * run that started after it was published, and runs never overlap.
   */
  @Test
  void everyPublishedChangeIsSeenByALaterRunAndRunsNeverOverlap() throws Exception {
    AtomicLong published = new AtomicLong();
    AtomicLong seen = new AtomicLong();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger runs = new AtomicInteger();
    ExecutorService runner = Executors.newSingleThreadExecutor();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    Coalescer c = new Coalescer(() -> {
      if (running.incrementAndGet() != 1) {
        overlaps.incrementAndGet();
      }
      seen.accumulateAndGet(published.get(), Math::max);
      runs.incrementAndGet();
      running.decrementAndGet();
    }, runner::execute);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(writers.submit(() -> {
          start.await();
          for (int i = 0; i < 50_000; i++) {
            published.incrementAndGet();
            c.request();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      runner.submit(() -> { }).get(60, TimeUnit.SECONDS); // everything dispatched so far has run
      runner.submit(() -> { }).get(60, TimeUnit.SECONDS); // including a run dispatched by the last one
    } finally {
      writers.shutdownNow();
      runner.shutdownNow();
    }
    assertEquals(0, overlaps.get());
    assertEquals(200_000, seen.get(), "the last change was seen");
    assertTrue(runs.get() < 200_000, "requests were coalesced: " + runs.get() + " runs");
    assertEquals(Coalescer.IDLE, c.status());
  }
}
