package io.lb4j.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class StaticEndpointSourceTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");
  private static final Endpoint C = Endpoint.parse("[::1]:80");

  @Test
  void deliversTheListOnStartAndEveryUpdate() {
    StaticEndpointSource src = StaticEndpointSource.of(A, B);
    try (LoadBalancer lb = LoadBalancer.builder().endpointSource(src).build()) {
      assertEquals(List.of(A, B), lb.endpoints());

      src.update(List.of(B, C));

      assertEquals(List.of(B, C), lb.endpoints());
      assertEquals(List.of(B, C), src.endpoints());
      assertEquals(EndpointStatus.UNKNOWN, lb.status(A));
    }
  }

  @Test
  void parseReadsACommaSeparatedList() {
    assertEquals(List.of(A, B, C), StaticEndpointSource.parse("10.0.0.1:80, 10.0.0.2:80,[::1]:80,").endpoints());
    assertEquals(List.of(), StaticEndpointSource.parse("").endpoints());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StaticEndpointSource.parse("10.0.0.1:80,nonsense"));
    assertTrue(e.getMessage().contains("nonsense"), e.getMessage());
  }

  @Test
  void badListsFailTheCallerAndKeepTheCurrentList() {
    StaticEndpointSource src = StaticEndpointSource.of(A);
    List<List<Endpoint>> seen = new CopyOnWriteArrayList<>();
    src.start(seen::add, e -> { });

    IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> src.update(List.of(A, B, A)));
    assertTrue(dup.getMessage().contains("10.0.0.1:80 twice"), dup.getMessage());
    assertThrows(IllegalArgumentException.class, () -> src.update(Arrays.asList(A, null)));
    assertThrows(IllegalArgumentException.class, () -> src.update(null));
    assertThrows(IllegalArgumentException.class, () -> StaticEndpointSource.of((Endpoint[]) null));

    assertEquals(List.of(A), src.endpoints());
    assertEquals(List.of(List.of(A)), seen);
  }

  @Test
  void theListIsCopied() {
    List<Endpoint> mine = new ArrayList<>(List.of(A));
    StaticEndpointSource src = StaticEndpointSource.of(mine);
    mine.add(B);
    assertEquals(List.of(A), src.endpoints());
  }

  @Test
  void startsOnceAndStopsDeliveringAfterClose() {
    StaticEndpointSource src = StaticEndpointSource.of(A);
    List<List<Endpoint>> seen = new CopyOnWriteArrayList<>();
    src.start(seen::add, e -> { });
    assertThrows(IllegalStateException.class, () -> src.start(seen::add, e -> { }));

    src.close();
    src.close();
    src.update(List.of(B));

    assertEquals(List.of(List.of(A)), seen);
    assertEquals(List.of(B), src.endpoints());
    StaticEndpointSource closed = StaticEndpointSource.of(A);
    closed.close();
    assertThrows(IllegalStateException.class, () -> closed.start(seen::add, e -> { }));
  }
}
