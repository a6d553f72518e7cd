package io.lb4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lb4j.Endpoint;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Limbo's rules, with the clock in the test's hand: nanoseconds that overflow past Long.MAX_VALUE, as nanoTime may. */
class LimboTest {

  private static final long QUIET = 2_000;
  private static final long T0 = Long.MAX_VALUE - 1_000; // nanoTime may sit anywhere, wrapping included
  private static final Endpoint A = Endpoint.of("10.0.0.1", 80);
  private static final Endpoint B = Endpoint.of("10.0.0.2", 80);
  private static final Endpoint C = Endpoint.of("10.0.0.3", 80);

  private final Limbo limbo = new Limbo(QUIET);

  @Test
  void anInstanceThatComesBackWithinTheQuietPeriodNeverLeaves() {
    assertEquals(List.of(A, B), limbo.merge(List.of(B), List.of(A, B), T0));
    assertEquals(Set.of("10.0.0.1:80"), limbo.addresses());
    assertEquals(QUIET, limbo.nextExpiryIn());

    assertEquals(List.of(A, B), limbo.merge(List.of(B, A), List.of(A, B), T0 + QUIET - 1));

    assertEquals(Set.of(), limbo.addresses());
    assertEquals(Long.MAX_VALUE, limbo.nextExpiryIn());
  }

  @Test
  void anInstanceGoneForTheQuietPeriodLeavesThenAndNotBefore() {
    limbo.merge(List.of(B), List.of(A, B), T0);
    assertEquals(List.of(A, B), limbo.merge(List.of(B), List.of(A, B), T0 + QUIET - 1));
    assertEquals(1, limbo.nextExpiryIn());

    assertEquals(List.of(B), limbo.merge(List.of(B), List.of(A, B), T0 + QUIET));
    assertEquals(Long.MAX_VALUE, limbo.nextExpiryIn());
  }

  @Test
  void newInstancesArriveAtOnceWhileOthersAreInLimbo() {
    assertEquals(List.of(A, B, C), limbo.merge(List.of(C, B), List.of(A, B), T0));
  }

  @Test
  void nothingLeavesWhileDisconnectedAndForTheQuietPeriodAfterTheReconnect() {
    limbo.merge(List.of(B), List.of(A, B), T0);
    limbo.disconnected();
    assertEquals(List.of(A, B), limbo.merge(List.of(B), List.of(A, B), T0 + 10 * QUIET));
    assertEquals(Long.MAX_VALUE, limbo.nextExpiryIn(), "nothing expires by itself while disconnected");

    limbo.reconnected(T0 + 20 * QUIET);
    // B also vanishes after the reconnect (a registrant deleting its node to re-create it).
    assertEquals(List.of(A, B), limbo.merge(List.of(), List.of(A, B), T0 + 20 * QUIET + 500));
    assertEquals(QUIET - 500, limbo.nextExpiryIn(), "A's quiet period counts from the reconnect");

    assertEquals(List.of(B), limbo.merge(List.of(), List.of(A, B), T0 + 21 * QUIET));
    assertEquals(500, limbo.nextExpiryIn());
    assertEquals(List.of(), limbo.merge(List.of(), List.of(A, B), T0 + 21 * QUIET + 500));
  }

  @Test
  void anExpiredInstanceStaysOutUntilADeliveryDropsIt() {
    limbo.merge(List.of(), List.of(A), T0);
    assertEquals(List.of(), limbo.merge(List.of(), List.of(A), T0 + QUIET)); // empty: nothing delivered, A still published

    assertEquals(List.of(B), limbo.merge(List.of(B), List.of(A), T0 + 2 * QUIET), "A does not come back into limbo");
    limbo.delivered();
    assertEquals(List.of(B, C), limbo.merge(List.of(B, C), List.of(B), T0 + 3 * QUIET));
  }

  @Test
  void aZeroQuietPeriodRemovesAtOnce() {
    Limbo none = new Limbo(0);
    assertEquals(List.of(B), none.merge(List.of(B), List.of(A, B), T0));
    assertEquals(Long.MAX_VALUE, none.nextExpiryIn());
  }
}
