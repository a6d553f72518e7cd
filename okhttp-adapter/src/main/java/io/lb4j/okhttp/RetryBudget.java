package io.lb4j.okhttp;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Finagle's retry budget: over a sliding window ({@code ttl}, default 10 s) retries may be at most
 * {@code percentCanRetry} (default 20 %) of the requests plus a floor of {@code minRetriesPerSecond}
 * (default 10) per second of the window, so a full outage cannot multiply the load on a service
 * while a trickle of traffic can still retry.
 *
 * <p>Every request {@link #deposit deposits}; every retry must {@link #tryWithdraw withdraw}, except
 * that {@link LoadBalancingInterceptor} does not withdraw for a retry after a connect failure
 * ({@link RetryPolicy#withdrawsFromBudget}). The
 * window is ten time slots; each slot is one packed {@code long} (slot epoch and balance) updated by
 * compare-and-set, so both calls are lock-free and allocation-free. Under contention a withdrawal
 * may overdraw by at most one retry per racing thread. Thread-safe; one budget is shared by all
 * calls to one service. Time comes from the {@link Builder#clock clock}, so tests and simulators can
 * drive it without sleeping.
 */
public final class RetryBudget {

  private static final int SLOTS = 10;
  private static final long WITHDRAWAL = 1000; // a retry costs this many units
  private static final int VALUE_BITS = 40;
  private static final long VALUE_MASK = (1L << VALUE_BITS) - 1;
  private static final long EPOCH_MASK = (1L << (64 - VALUE_BITS)) - 1;

  private final Duration ttl;
  private final int minRetriesPerSecond;
  private final double percentCanRetry;
  private final Clock clock;
  private final long slotMillis;
  private final long deposit;
  private final long reserve;
  private final AtomicLongArray slots = new AtomicLongArray(SLOTS);

  private RetryBudget(Builder b) {
    this.ttl = b.ttl;
    this.minRetriesPerSecond = b.minRetriesPerSecond;
    this.percentCanRetry = b.percentCanRetry;
    this.clock = b.clock;
    this.slotMillis = Math.max(1, ttl.toMillis() / SLOTS);
    this.deposit = Math.round(percentCanRetry * WITHDRAWAL);
    this.reserve = Math.round(minRetriesPerSecond * (ttl.toMillis() / 1000.0)) * WITHDRAWAL;
    long now = index();
    for (int i = 0; i < SLOTS; i++) {
      slots.set(i, pack(now - SLOTS, 0)); // every slot starts outside the window
    }
  }

  /** A builder with Finagle's defaults: ttl 10 s, 10 retries/s floor, 20 % of requests, system UTC clock. */
  public static Builder builder() {
    return new Builder();
  }

  /** A budget with the defaults of {@link #builder()}. */
  public static RetryBudget defaults() {
    return builder().build();
  }

  /** Records one request (not a retry). Lock-free, allocation-free. */
  public void deposit() {
    if (deposit != 0) {
      add(index(), deposit);
    }
  }

  /**
   * Takes one retry from the budget if there is one.
   *
   * @return true if the retry may go ahead, false if the budget is exhausted
   */
  public boolean tryWithdraw() {
    long now = index();
    if (reserve + sum(now) < WITHDRAWAL) {
      return false;
    }
    add(now, -WITHDRAWAL);
    return true;
  }

  /** The number of retries the budget would allow now. */
  public long available() {
    return Math.max(0, (reserve + sum(index())) / WITHDRAWAL);
  }

  /** The sliding window. */
  public Duration ttl() {
    return ttl;
  }

  /** The floor, in retries per second of the window. */
  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  /** The fraction of requests that may be retried, e.g. 0.2. */
  public double percentCanRetry() {
    return percentCanRetry;
  }

  @Override
  public String toString() {
    return "RetryBudget{ttl=" + ttl + ", minRetriesPerSecond=" + minRetriesPerSecond
        + ", percentCanRetry=" + percentCanRetry + ", available=" + available() + "}";
  }

  private long index() {
    return Math.floorDiv(clock.millis(), slotMillis);
  }

  private void add(long now, long delta) {
    int i = Math.floorMod(now, SLOTS);
    long epoch = now & EPOCH_MASK;
    while (true) {
      long cur = slots.get(i);
      long value = (cur >>> VALUE_BITS) == epoch ? value(cur) + delta : delta; // stale slot: restart
      if (slots.compareAndSet(i, cur, pack(now, value))) {
        return;
      }
    }
  }

  private long sum(long now) {
    long total = 0;
    for (int i = 0; i < SLOTS; i++) {
      long cur = slots.get(i);
      long age = ((now & EPOCH_MASK) - (cur >>> VALUE_BITS)) & EPOCH_MASK;
      if (age < SLOTS) {
        total += value(cur);
      }
    }
    return total;
  }

  private static long pack(long epoch, long value) {
    return ((epoch & EPOCH_MASK) << VALUE_BITS) | (value & VALUE_MASK);
  }

  private static long value(long packed) {
    return (packed << (64 - VALUE_BITS)) >> (64 - VALUE_BITS); // sign-extend the low 40 bits
  }

  /** Builds a {@link RetryBudget}. Not thread-safe; build once and share the budget. */
  public static final class Builder {
    private Duration ttl = Duration.ofSeconds(10);
    private int minRetriesPerSecond = 10;
    private double percentCanRetry = 0.2;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The sliding window, 1 s to 60 s; default 10 s. */
    public Builder ttl(Duration ttl) {
      if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("ttl must be between 1s and 60s, got " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /** Retries per second always allowed, whatever the request volume; {@code >= 0}, default 10. */
    public Builder minRetriesPerSecond(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("minRetriesPerSecond must be >= 0, got " + n);
      }
      this.minRetriesPerSecond = n;
      return this;
    }

    /** Retries allowed as a fraction of requests, 0.0 to 1000.0; default 0.2. */
    public Builder percentCanRetry(double fraction) {
      if (!(fraction >= 0.0 && fraction <= 1000.0)) {
        throw new IllegalArgumentException("percentCanRetry must be between 0.0 and 1000.0, got " + fraction);
      }
      this.percentCanRetry = fraction;
      return this;
    }

    /** The time source; default the system UTC clock. */
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /** A new budget, empty apart from its floor. */
    public RetryBudget build() {
      return new RetryBudget(this);
    }
  }
}
