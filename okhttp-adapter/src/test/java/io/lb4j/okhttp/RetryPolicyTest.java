package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Outcome;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private static Request request(String method) {
    RequestBody body = method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")
        ? null : RequestBody.create("x", MediaType.get("text/plain"));
    return new Request.Builder().url("http://orders/").method(method, body).build();
  }

  @Test
  void retriesConnectFailuresAlwaysAndServerErrorsOnlyForIdempotentMethods() {
    RetryPolicy p = RetryPolicy.defaults();
    assertEquals(2, p.maxAttempts());
    for (String m : new String[] {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) {
      assertTrue(p.isRetryable(request(m), Outcome.SERVER_ERROR), m);
      assertTrue(p.isRetryable(request(m), Outcome.TIMEOUT), m);
    }
    for (String m : new String[] {"POST", "PATCH"}) {
      assertFalse(p.isRetryable(request(m), Outcome.SERVER_ERROR), m);
      assertFalse(p.isRetryable(request(m), Outcome.TIMEOUT), m);
      assertTrue(p.isRetryable(request(m), Outcome.CONNECT_FAILURE), m);
      Request tagged = request(m).newBuilder().tag(RetryPolicy.Idempotent.class, RetryPolicy.Idempotent.YES).build();
      assertTrue(p.isRetryable(tagged, Outcome.SERVER_ERROR), m + " tagged");
    }
    assertFalse(p.isRetryable(request("GET"), Outcome.CANCELLED));
    assertFalse(p.isRetryable(request("GET"), Outcome.SUCCESS));
  }

  private static Response response(int code, String retryAfter) {
    Response.Builder b = new Response.Builder().request(request("GET")).protocol(Protocol.HTTP_1_1)
        .code(code).message("x");
    if (retryAfter != null) {
      b.header("Retry-After", retryAfter);
    }
    return b.build();
  }

  @Test
  void backoffIsJitteredWithinTheCapAndHonoursRetryAfterUpToTheCap() {
    RetryPolicy p = RetryPolicy.builder().backoff(Duration.ofMillis(25), Duration.ofSeconds(1)).build();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 200; i++) {
      long n = p.backoffNanos(1, null);
      min = Math.min(min, n);
      max = Math.max(max, n);
      assertTrue(p.backoffNanos(9, null) <= 1_000_000_000L);
    }
    assertTrue(min < 15_000_000L && max > 35_000_000L && max <= 50_000_000L, "jitter " + min + ".." + max);
    assertEquals(1_000_000_000L, p.backoffNanos(1, response(503, "30")), "Retry-After capped");
    long half = RetryPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofSeconds(5)).build()
        .backoffNanos(1, response(503, "2"));
    assertEquals(2_000_000_000L, half);
    assertTrue(p.backoffNanos(1, response(500, "30")) <= 50_000_000L, "only a 503's Retry-After counts");
    assertEquals(-1, RetryPolicy.retryAfterMillis("soon"));
    assertTrue(RetryPolicy.retryAfterMillis("Wed, 21 Oct 2015 07:28:00 GMT") == 0, "a past date means now");
  }

  @Test
  void backoffRefusesWhatCannotBeHonouredAndClampsTheRest() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RetryPolicy.builder().backoff(Duration.ofNanos(500_000), Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("base") && e.getMessage().contains("PT0.0005S"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RetryPolicy.builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    assertTrue(e.getMessage().contains("max=PT1S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(11));

    Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
    RetryPolicy p = RetryPolicy.builder().backoff(Duration.ofMillis(1), forever).build();
    assertEquals(Duration.ofDays(10_000), p.maxBackoff());
    long tenThousandDays = Duration.ofDays(10_000).toNanos();
    assertEquals(tenThousandDays, p.backoffNanos(1, response(503, "99999999999999999999")));
    assertTrue(p.backoffNanos(60, null) <= tenThousandDays);
    RetryPolicy huge = RetryPolicy.builder().backoff(forever, forever).build();
    assertTrue(huge.backoffNanos(3, null) > 0);
  }

  @Test
  void retryAfterIsDigitsOrADate() {
    assertEquals(5_000, RetryPolicy.retryAfterMillis(" 5 "));
    assertEquals(-1, RetryPolicy.retryAfterMillis("+5"));
    assertEquals(-1, RetryPolicy.retryAfterMillis("-5"));
    assertEquals(-1, RetryPolicy.retryAfterMillis("\u0665")); // Arabic-Indic 5
    assertEquals(Long.MAX_VALUE, RetryPolicy.retryAfterMillis("99999999999999999999"));
  }
}
