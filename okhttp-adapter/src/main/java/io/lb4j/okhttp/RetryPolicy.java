package io.lb4j.okhttp;

import io.github.resilience4j.core.IntervalFunction;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * When and how {@link LoadBalancingInterceptor} retries an attempt. Immutable and thread-safe.
 *
 * <ul>
 *   <li>{@code maxAttempts}: default 2 (one retry); 1 turns retries off.
 *   <li>{@code CONNECT_FAILURE} is always retried (the request never reached a server);
 *       {@code SERVER_ERROR} and {@code TIMEOUT} only for GET, HEAD, OPTIONS, PUT and DELETE, or for
 *       a request tagged {@code .tag(RetryPolicy.Idempotent.class, RetryPolicy.Idempotent.YES)};
 *       {@code CANCELLED} never. A one-shot or duplex request body is never retried.
 *   <li>Each retry goes to a different endpoint when one exists.
 *   <li>Backoff: exponential with full jitter (resilience4j's
 *       {@code IntervalFunction.ofExponentialRandomBackoff}), base 25 ms, cap 1 s. A 503's
 *       {@code Retry-After} (seconds or HTTP date) is honoured up to the cap.
 *   <li>A {@link RetryBudget} per service (default {@link RetryBudget#defaults()}: 20 % of requests
 *       plus 10 retries/s over 10 s) so an outage cannot multiply the load. Retries after a
 *       {@code CONNECT_FAILURE} do not draw on it ({@link #withdrawsFromBudget}): the attempt never
 *       reached a server, so retrying it adds no load anywhere, and a dead endpoint must not use up
 *       the retries that a live but failing one needs (Finagle does the same for requests it could
 *       not get a connection for). Their bound is {@code maxAttempts}.
 * </ul>
 *
 * <p>The backoff pauses the thread running the call (a dispatcher thread for {@code enqueue}) in
 * short slices: cancelling the call, its call timeout or an interrupt ends the pause at once.
 */
public final class RetryPolicy {

  /** Tag a request with {@code Idempotent.YES} to allow retries of server errors and timeouts of any method. */
  public enum Idempotent {
    /** The request may be sent more than once. */
    YES
  }

  // resilience4j requires a randomization factor below 1; this is full jitter in practice.
  private static final double FULL_JITTER = 0.999;
  /** Longer backoffs are clamped to this (lb4j core's longest duration), far from any overflow. */
  private static final Duration MAX_BACKOFF = Duration.ofDays(10_000);

  private final int maxAttempts;
  private final Duration baseBackoff;
  private final Duration maxBackoff;
  private final IntervalFunction backoff;
  private final Supplier<RetryBudget> budgets;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.baseBackoff = b.baseBackoff;
    this.maxBackoff = b.maxBackoff;
    this.backoff = baseBackoff.isZero()
        ? retry -> 0L
        : IntervalFunction.ofExponentialRandomBackoff(baseBackoff, 2.0, FULL_JITTER, maxBackoff);
    this.budgets = b.budgets;
  }

  /** A builder with the defaults listed on this class. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults listed on this class. */
  public static RetryPolicy defaults() {
    return builder().build();
  }

  /** No retries: every request is attempted once. */
  public static RetryPolicy disabled() {
    return builder().maxAttempts(1).build();
  }

  /** Attempts per request including the first. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The first backoff's mean. */
  public Duration baseBackoff() {
    return baseBackoff;
  }

  /** The longest backoff, also the most of a {@code Retry-After} that is honoured. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** A new budget for one service; the interceptor calls this once per service. */
  RetryBudget newBudget() {
    RetryBudget b = budgets.get();
    if (b == null) {
      throw new IllegalArgumentException("the retry budget supplier returned null");
    }
    return b;
  }

  /**
   * Whether an attempt of {@code request} that ended with {@code outcome} may be retried, leaving
   * aside attempts left and the budget.
   */
  public boolean isRetryable(Request request, Outcome outcome) {
    if (outcome == Outcome.SUCCESS || outcome == Outcome.CANCELLED) {
      return false;
    }
    RequestBody body = request.body();
    if (body != null && (body.isOneShot() || body.isDuplex())) {
      return false;
    }
    if (outcome == Outcome.CONNECT_FAILURE) {
      return true;
    }
    return isIdempotent(request.method()) || request.tag(Idempotent.class) == Idempotent.YES;
  }

  private static boolean isIdempotent(String method) {
    return switch (method) {
      case "GET", "HEAD", "OPTIONS", "PUT", "DELETE" -> true;
      default -> false;
    };
  }

  /**
   * Whether a retry after an attempt that ended with {@code outcome} withdraws from the
   * {@link RetryBudget}: every retry does except one after a {@code CONNECT_FAILURE}, which never
   * reached a server (see the class comment).
   */
  public boolean withdrawsFromBudget(Outcome outcome) {
    return outcome != Outcome.CONNECT_FAILURE;
  }

  /**
   * The endpoint a retry goes to: one this request has not tried yet while the balancer offers one
   * ({@link LoadBalancer#choose(PickContext, java.util.Collection)}: panic mode and zone preference
   * apply as for any pick), else whatever the balancer offers. Public so that simulations and other
   * transports retry exactly as {@link LoadBalancingInterceptor} does.
   *
   * @param lb the service's balancer
   * @param ctx the request's pick context
   * @param tried the endpoints this request has already been sent to (not empty)
   * @throws io.lb4j.NoEndpointAvailableException if the balancer has no endpoint to offer
   * @throws IllegalStateException if the balancer is closed
   */
  public Endpoint retryEndpoint(LoadBalancer lb, PickContext ctx, List<Endpoint> tried) {
    return lb.choose(ctx, tried);
  }

  /**
   * The pause before retry number {@code retry} (1 for the first retry), in nanoseconds: the jittered
   * backoff, or a 503's {@code Retry-After} if longer, never more than {@code maxBackoff}.
   *
   * @param response the failed attempt's response, or null if it ended with an exception
   */
  public long backoffNanos(int retry, Response response) {
    long millis = Math.min(backoff.apply(retry), maxBackoff.toMillis());
    if (response != null && response.code() == 503) {
      long retryAfter = retryAfterMillis(response.header("Retry-After"));
      if (retryAfter > millis) {
        millis = Math.min(retryAfter, maxBackoff.toMillis());
      }
    }
    return TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis)); // saturates instead of overflowing
  }

  /** Retry-After as delay-seconds or an HTTP date, in millis from now; -1 if absent or unreadable. */
  static long retryAfterMillis(String value) {
    if (value == null || value.isBlank()) {
      return -1;
    }
    String v = value.trim();
    if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      // delay-seconds is 1*DIGIT (RFC 9110): no sign; a huge value saturates (capped by maxBackoff)
      return v.length() > 15 ? Long.MAX_VALUE : Long.parseLong(v) * 1000L;
    }
    try {
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      return Math.max(0, at.toInstant().toEpochMilli() - System.currentTimeMillis());
    } catch (RuntimeException notADate) {
      return -1;
    }
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", backoff=" + baseBackoff + ".." + maxBackoff + "}";
  }

  /** Builds a {@link RetryPolicy}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 2;
    private Duration baseBackoff = Duration.ofMillis(25);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private Supplier<RetryBudget> budgets = RetryBudget::defaults;

    private Builder() {}

    /** Attempts per request including the first, 1 to 10; default 2. */
    public Builder maxAttempts(int n) {
      if (n < 1 || n > 10) {
        throw new IllegalArgumentException("maxAttempts must be between 1 and 10, got " + n);
      }
      this.maxAttempts = n;
      return this;
    }

    /**
     * Exponential backoff with full jitter between {@code base} (the first retry's mean) and
     * {@code max}; default 25 ms and 1 s. {@code base} is zero (no backoff) or at least 1 ms, and at
     * most {@code max}; a {@code max} above 10,000 days is clamped to 10,000 days.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public Builder backoff(Duration base, Duration max) {
      if (base == null || base.isNegative() || (!base.isZero() && base.compareTo(Duration.ofMillis(1)) < 0)) {
        throw new IllegalArgumentException("backoff base must be 0 (no backoff) or at least 1 ms, got base=" + base);
      }
      if (max == null || max.compareTo(base) < 0) {
        throw new IllegalArgumentException("backoff needs base <= max, got base=" + base + ", max=" + max);
      }
      this.baseBackoff = base.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : base;
      this.maxBackoff = max.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : max;
      return this;
    }

    /**
     * Makes the retry budget of each service; called once per service. Default
     * {@code RetryBudget::defaults}. Pass a supplier of {@code RetryBudget.builder()...build()} to
     * change the budget or give it a test clock.
     */
    public Builder budget(Supplier<RetryBudget> perService) {
      if (perService == null) {
        throw new IllegalArgumentException("budget supplier must not be null");
      }
      this.budgets = perService;
      return this;
    }

    /** The policy. */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
