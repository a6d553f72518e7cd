package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.PrometheusAlerts.Rule;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The alert evaluator itself, on hand-written expositions: what it computes and what it refuses. */
class PrometheusAlertsTest {

  private static final String START = """
      # HELP x_total a counter
      # TYPE x_total counter
      x_total{lb="a",pod="1",outcome="ok"} 5.0
      x_total{lb="a",pod="2",outcome="ok"} 1.0
      x_total{lb="b",pod="1",outcome="bad"} 0.0
      g{lb="a",endpoint=""} 3.0
      """;
  private static final String END = """
      x_total{lb="a",pod="1",outcome="ok"} 7.0
      x_total{lb="a",pod="2",outcome="ok"} 2.0
      x_total{lb="b",pod="1",outcome="bad"} 0.0
      x_total{lb="c",pod="1",outcome="ok"} 9.0
      g{lb="a",endpoint=""} 1.5E1
      """;

  @Test
  void increaseSumsByLabelAndSkipsSeriesWithoutTwoSamples() {
    Map<Map<String, String>, Double> r = PrometheusAlerts.firing(new Rule("t",
        "sum by (lb) (increase(x_total{outcome!=\"bad\"}[5m])) > 0"), START, END);
    assertEquals(Map.of(Map.of("lb", "a"), 3.0), r, "c has one sample only; b is filtered out");
  }

  @Test
  void instantSelectorsReadTheLastScrapeAndEmptyLabelsAreDropped() {
    assertEquals(Map.of(Map.of("lb", "a"), 15.0),
        PrometheusAlerts.firing(new Rule("t", "max by (lb) (g{endpoint=\"\"}) >= 15"), START, END));
    assertEquals(Map.of(), PrometheusAlerts.firing(new Rule("t", "max by (lb) (g) > 15"), START, END));
    assertTrue(PrometheusAlerts.parse(END).keySet().stream().noneMatch(s -> s.labels().containsKey("endpoint")));
  }

  @Test
  void unsupportedPromQlIsRefusedNotGuessed() {
    assertThrows(AssertionError.class, () -> PrometheusAlerts.firing(new Rule("t", "rate(x_total[5m]) > 0"), END));
    assertThrows(AssertionError.class, () -> PrometheusAlerts.firing(new Rule("t", "x_total > 0 and g > 1"), END));
    assertThrows(AssertionError.class, () -> PrometheusAlerts.rule("NoSuchAlert"));
  }
}
