package io.lb4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigChecksTest {

  @Test
  void formatWritesSecondsLikeGrpcJson() {
    assertEquals("10s", ConfigChecks.format(Duration.ofSeconds(10)));
    assertEquals("0.0005s", ConfigChecks.format(Duration.ofNanos(500_000)));
    assertEquals("0.000000001s", ConfigChecks.format(Duration.ofNanos(1)));
    assertEquals("-1.5s", ConfigChecks.format(Duration.ofMillis(-1500)));
    assertEquals("0s", ConfigChecks.format(Duration.ZERO));
    assertEquals("99999999999999999s", ConfigChecks.format(Duration.ofSeconds(99_999_999_999_999_999L)));
    assertEquals("null", ConfigChecks.format(null));
  }

  @Test
  void timerKeepsOneMillisecondToTenThousandDays() {
    Duration ms = Duration.ofMillis(1);
    assertSame(ms, ConfigChecks.timer("t", ms));
    assertEquals(ConfigChecks.MAX_DURATION, ConfigChecks.timer("t", Duration.ofDays(10_001)));
    assertEquals(ConfigChecks.MAX_DURATION, ConfigChecks.timer("t", Duration.ofSeconds(Long.MAX_VALUE)));
    assertThrows(IllegalArgumentException.class, () -> ConfigChecks.timer("t", Duration.ofNanos(999_999)));
    assertThrows(IllegalArgumentException.class, () -> ConfigChecks.timer("t", Duration.ZERO));
    assertSame(Duration.ZERO, ConfigChecks.timerOrZero("t", Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ConfigChecks.timerOrZero("t", Duration.ofNanos(1)));
    // the clamped maximum converts to milliseconds and nanoseconds, and adds to a clock reading
    assertEquals(864_000_000_000L, ConfigChecks.MAX_DURATION.toMillis());
    assertEquals(864_000_000_000_000_000L, ConfigChecks.MAX_DURATION.toNanos());
  }
}
