package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.FakeClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  private static int drain(RetryBudget budget) {
    int n = 0;
    while (n < 100_000 && budget.tryWithdraw()) {
      n++;
    }
    return n;
  }

  @Test
  void floorAloneAllowsMinRetriesPerSecondTimesTtl() {
    FakeClock clock = new FakeClock();
    RetryBudget budget = RetryBudget.builder().clock(clock.asClock()).build();
    assertEquals(100, budget.available());
    assertEquals(100, drain(budget));
    assertFalse(budget.tryWithdraw());
  }

  @Test
  void twentyPercentOfRequestsOnTopOfTheFloor() {
    FakeClock clock = new FakeClock();
    RetryBudget budget = RetryBudget.builder().minRetriesPerSecond(0).clock(clock.asClock()).build();
    for (int i = 0; i < 1000; i++) {
      budget.deposit();
    }
    assertEquals(200, drain(budget));
  }

  @Test
  void depositsAndWithdrawalsExpireAfterTheWindow() {
    FakeClock clock = new FakeClock();
    RetryBudget budget = RetryBudget.builder().minRetriesPerSecond(1).clock(clock.asClock()).build();
    assertEquals(10, drain(budget));
    clock.forward(Duration.ofSeconds(5));
    assertEquals(0, budget.available(), "spent retries still count within the window");
    for (int i = 0; i < 50; i++) {
      budget.deposit();
    }
    assertEquals(10, budget.available(), "20 % of 50");
    clock.forward(Duration.ofSeconds(6));
    assertEquals(20, budget.available(), "the spent floor expired; the 50 requests still count");
    clock.forward(Duration.ofSeconds(10));
    assertEquals(10, budget.available(), "everything expired: the floor again");
  }

  @Test
  void concurrentUseNeverOverdrawsByMoreThanTheRacingThreads() throws Exception {
    RetryBudget budget = RetryBudget.builder().minRetriesPerSecond(0)
        .clock(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).build();
    int threads = 4;
    AtomicInteger granted = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      Future<?>[] fs = new Future<?>[threads];
      for (int t = 0; t < threads; t++) {
        fs[t] = pool.submit(() -> {
          for (int i = 0; i < 10_000; i++) {
            budget.deposit();
            if (budget.tryWithdraw()) {
              granted.incrementAndGet();
            }
          }
        });
      }
      for (Future<?> f : fs) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    int g = granted.get();
    assertTrue(g <= 8_000 + threads && g >= 7_900, "granted " + g + " of 40 000 requests");
  }

  @Test
  void builderRejectsBadValues() {
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.builder().ttl(Duration.ofMillis(10)));
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.builder().minRetriesPerSecond(-1));
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.builder().percentCanRetry(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> RetryBudget.builder().clock(null));
  }
}
