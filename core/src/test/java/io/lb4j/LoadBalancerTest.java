package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.StaticEndpointSource;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import io.lb4j.policy.Policies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoadBalancerTest {

  private static final Endpoint A = Endpoint.of("127.0.0.1", 31_001);
  private static final Endpoint B = Endpoint.of("127.0.0.1", 31_002);
  private static final Endpoint C = Endpoint.of("127.0.0.1", 31_003);

  private final List<LoadBalancer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(LoadBalancer::close);
  }

  private LoadBalancer lb(Endpoint... endpoints) {
    LoadBalancer lb = LoadBalancer.builder().name("t").endpoints(List.of(endpoints))
        .policy(Policies.roundRobin()).backgroundTasks(false).build();
    opened.add(lb);
    return lb;
  }

  private static IllegalArgumentException assertRejected(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
    return e;
  }

  @Test
  void builderSettersNameTheField() {
    LoadBalancer.Builder b = LoadBalancer.builder();
    assertRejected(() -> b.name(null), "name", "null");
    assertRejected(() -> b.name(" "), "name", "' '");
    assertRejected(() -> b.endpoints(null), "endpoints");
    assertRejected(() -> b.endpointSource(null), "endpointSource");
    assertRejected(() -> b.policy(null), "policy");
    assertRejected(() -> b.panicThreshold(-0.1), "panicThreshold", "-0.1");
    assertRejected(() -> b.panicThreshold(1.1), "panicThreshold", "1.1");
    assertRejected(() -> b.panicThreshold(Double.NaN), "panicThreshold", "NaN");
    assertRejected(() -> b.slowStart(Duration.ofMillis(-1)), "slowStart", "PT-0.001S");
    assertRejected(() -> b.slowStart(null), "slowStart", "null");
    assertRejected(() -> b.clock(null), "clock");
    assertRejected(() -> b.meterRegistry(null), "meterRegistry");
    assertRejected(() -> b.listener(null), "listener");
    assertRejected(() -> b.localZone(" "), "localZone", "' '");
    assertRejected(() -> b.localZone(null), "localZone", "null");
    // The bounds themselves are fine.
    assertDoesNotThrow(() -> b.panicThreshold(0.0).panicThreshold(1.0).slowStart(Duration.ZERO));
  }

  @Test
  void endpointsAndEndpointSourceTogetherFailToBuild() {
    LoadBalancer.Builder b = LoadBalancer.builder().name("both").endpoints(List.of(A))
        .endpointSource(StaticEndpointSource.of(List.of(B)));
    assertRejected(b::build, "endpoints", "endpointSource");
  }

  @Test
  void builderEndpointsWithNullElementIsAnIllegalArgumentNamingTheIndex() {
    assertRejected(() -> LoadBalancer.builder().name("n").endpoints(Arrays.asList(A, null)).build(),
        "null", "index 1");
  }

  @Test
  void emptyListSaysItIsEmpty() {
    LoadBalancer lb = lb();
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    assertTrue(e.getMessage().contains("'t'"), "names the balancer: " + e.getMessage());
  }

  @Test
  void allDrainedSaysSomethingElse() {
    LoadBalancer lb = lb(A, B);
    lb.drain(A);
    lb.drain(B);
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertFalse(e.getMessage().contains("empty"), e.getMessage());
    assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
    assertTrue(e.getMessage().contains("2 draining"), e.getMessage());
  }

  @Test
  void duplicateAddressIsRejectedNamingIt() {
    LoadBalancer lb = lb(A);
    assertRejected(() -> lb.updateEndpoints(List.of(A, B, A)), A.address(), "index 2");
    assertRejected(() -> lb.updateEndpoints(List.of(B, B.withWeight(7))), B.address(), "index 1");
    assertEquals(List.of(A), lb.endpoints(), "a rejected update changes nothing");
  }

  @Test
  void nullElementIsRejectedWithItsIndex() {
    LoadBalancer lb = lb(A);
    assertRejected(() -> lb.updateEndpoints(Arrays.asList(A, B, null)), "null", "index 2");
    assertRejected(() -> lb.updateEndpoints(null), "endpoints");
    assertEquals(List.of(A), lb.endpoints());
  }

  @Test
  void endpointsKeepInsertionOrderAndAreImmutable() {
    LoadBalancer lb = lb(C, A, B);
    assertEquals(List.of(C, A, B), lb.endpoints());
    assertThrows(UnsupportedOperationException.class, () -> lb.endpoints().add(A));
    lb.updateEndpoints(List.of(B, C));
    assertEquals(List.of(B, C), lb.endpoints());
  }

  @Test
  void drainOfUnknownEndpointIsRejected() {
    LoadBalancer lb = lb(A);
    assertRejected(() -> lb.drain(B), B.address());
    assertRejected(() -> lb.drain(null), "endpoint");
  }

  @Test
  void drainedEndpointIsNeverPickedButItsInFlightRequestEnds() {
    LoadBalancer lb = lb(A, B);
    Selection held = lb.pick();
    Endpoint drained = held.endpoint();
    Endpoint other = drained.equals(A) ? B : A;
    lb.drain(drained);
    assertEquals(EndpointStatus.DRAINING, lb.status(drained));
    assertEquals(EndpointStatus.HEALTHY, lb.status(other));
    assertEquals(List.of(A, B), lb.endpoints(), "drained endpoints stay listed");
    for (int i = 0; i < 200; i++) {
      Selection s = lb.pick();
      assertEquals(other, s.endpoint());
      s.release(Outcome.SUCCESS, 1_000);
    }
    assertEquals(1, lb.inFlight(drained));
    held.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(drained));
    assertEquals(EndpointStatus.DRAINING, lb.status(drained));
  }

  @Test
  void unknownEndpointHasStatusUnknown() {
    LoadBalancer lb = lb(A);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(B));
    assertEquals(0, lb.inFlight(B));
  }

  @Test
  void secondReleaseIsIgnored() {
    LoadBalancer lb = lb(A);
    Selection s = lb.pick();
    assertEquals(1, lb.inFlight(A));
    s.release(Outcome.SUCCESS, 1_000);
    s.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.SUCCESS));
  }

  @Test
  void releaseWithNullOutcomeReleasesThenThrows() {
    LoadBalancer lb = lb(A);
    Selection s = lb.pick();
    assertRejected(() -> s.release(null, 1_000), "outcome", A.address());
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.CANCELLED));
  }

  @Test
  void anEndpointThatStaysKeepsItsInFlightCount() {
    LoadBalancer lb = lb(A, B);
    Selection held = lb.pick();
    Endpoint e = held.endpoint();
    Endpoint other = e.equals(A) ? B : A;
    lb.updateEndpoints(List.of(e.withWeight(5), other, C));
    assertEquals(1, lb.inFlight(e));
    assertEquals(5, lb.endpoints().get(lb.endpoints().indexOf(e.withWeight(5))).weight());
    held.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(e));
  }

  @Test
  void removedEndpointDrainsUntilReleasedThenIsUnknown() {
    LoadBalancer lb = lb(A, B);
    Selection held = lb.pick();
    Endpoint e = held.endpoint();
    Endpoint other = e.equals(A) ? B : A;
    lb.updateEndpoints(List.of(other));
    assertEquals(List.of(other), lb.endpoints());
    assertEquals(EndpointStatus.DRAINING, lb.status(e));
    assertEquals(1, lb.inFlight(e));
    for (int i = 0; i < 50; i++) {
      Selection s = lb.pick();
      assertNotEquals(e, s.endpoint());
      s.release(Outcome.SUCCESS, 1_000);
    }
    held.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(e));
    assertEquals(EndpointStatus.UNKNOWN, lb.status(e));
  }

  @Test
  void pickAfterCloseFailsAndCloseIsIdempotent() {
    LoadBalancer lb = lb(A);
    lb.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, lb::pick);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertDoesNotThrow(lb::close);
    assertThrows(IllegalStateException.class, lb::pick);
  }

  @Test
  void closeRunsEachCloseHookOnceAndLateHooksAtOnce() {
    LoadBalancer lb = lb(A);
    AtomicInteger runs = new AtomicInteger();
    lb.onClose(runs::incrementAndGet);
    lb.onClose(() -> {
      throw new IllegalStateException("a broken hook is logged and skipped");
    });
    lb.onClose(runs::incrementAndGet);
    assertEquals(0, runs.get());
    lb.close();
    assertEquals(2, runs.get());
    lb.close();
    assertEquals(2, runs.get());
    lb.onClose(runs::incrementAndGet);
    assertEquals(3, runs.get(), "a hook added after close runs at once");
    assertRejected(() -> lb.onClose(null), "hook");
  }

  @Test
  void closeClosesTheHealthProbeOnce() {
    AtomicInteger closes = new AtomicInteger();
    HealthProbe probe = new HealthProbe() {
      @Override
      public CompletionStage<ProbeResult> probe(Endpoint e) {
        return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A)).backgroundTasks(false)
        .healthCheck(HealthCheckConfig.defaults(), probe).build();
    assertEquals(0, closes.get());
    lb.close();
    lb.close();
    assertEquals(1, closes.get());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void pickWithNullContextIsRejected(boolean withEndpoints) {
    LoadBalancer lb = withEndpoints ? lb(A) : lb();
    assertRejected(() -> lb.pick(null), "ctx");
  }
}
