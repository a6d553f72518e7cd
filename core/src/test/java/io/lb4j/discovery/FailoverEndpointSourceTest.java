package io.lb4j.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import io.lb4j.LoadBalancer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Fail-over tiers: tier i becomes priority level i; an address stays in its lowest tier; errors pass on. */
class FailoverEndpointSourceTest {

  @Test
  void tiersBecomePriorityLevels() {
    StaticEndpointSource primary = StaticEndpointSource.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    StaticEndpointSource backup = StaticEndpointSource.of(Endpoint.of("10.1.0.1", 80), Endpoint.of("10.0.0.2", 80));
    try (LoadBalancer lb = LoadBalancer.builder().endpointSource(FailoverEndpointSource.of(primary, backup)).build()) {
      assertEquals(List.of(Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80),
          Endpoint.of("10.1.0.1", 80).withPriority(1)), lb.endpoints(), "10.0.0.2 stays in tier 0");
      assertEquals(Map.of(0, 100, 1, 0), lb.priorityLoads());
      primary.update(List.of());
      assertEquals(List.of(Endpoint.of("10.1.0.1", 80).withPriority(1), Endpoint.of("10.0.0.2", 80).withPriority(1)),
          lb.endpoints());
      assertEquals(Map.of(1, 100), lb.priorityLoads());
    }
  }

  /** A source that records its consumers and fails on command. */
  private static final class Manual implements EndpointSource {
    Consumer<List<Endpoint>> update;
    Consumer<Throwable> error;
    boolean closed;

    @Override
    public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
      update = onUpdate;
      error = onError;
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public String toString() {
      return "Manual";
    }
  }

  @Test
  void errorsPassOnNamedAndCloseClosesEveryTier() {
    Manual a = new Manual();
    Manual b = new Manual();
    FailoverEndpointSource source = FailoverEndpointSource.of(a, b);
    List<List<Endpoint>> lists = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    source.start(lists::add, errors::add);
    b.update.accept(List.of(Endpoint.of("10.1.0.1", 80)));
    assertEquals(List.of(List.of(Endpoint.of("10.1.0.1", 80).withPriority(1))), lists);
    b.error.accept(new IllegalStateException("session expired"));
    assertEquals("FailoverEndpointSource[Manual, Manual] could not refresh fail-over tier 1 from Manual: "
        + "session expired", errors.get(0).getMessage());
    DiscoveryException named = new DiscoveryException("Dns", "svc", "DNS server 1.1.1.1:53", "timeout", null);
    a.error.accept(named);
    assertEquals(named, errors.get(1), "a DiscoveryException already names everything");
    source.close();
    assertTrue(a.closed && b.closed);
    a.update.accept(List.of(Endpoint.of("10.0.0.1", 80)));
    assertEquals(1, lists.size(), "nothing after close");
    assertThrows(IllegalArgumentException.class, FailoverEndpointSource::of);
  }
}
