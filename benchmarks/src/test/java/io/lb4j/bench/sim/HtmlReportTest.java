package io.lb4j.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The report explains itself: one key for every column, the live run, axes with units, a closing answer each. */
class HtmlReportTest {

  private static final LiveRun LIVE = new LiveRun("Two backends; b1 is slow.", List.of("b0", "b1 slow"), 1,
      List.of(new LiveRun.Event(0.5, "b1 fails")), 2, 3, List.of(
          new LiveRun.PolicyRun("round_robin", null, 100, 1, 3, 1, 2.0, 40.0, new long[] {52, 51}, 0.5,
              new int[][] {{10, 16, 13, 13}, {10, 15, 13, 13}}),
          new LiveRun.PolicyRun("p2c", null, 300, 0, 2, 1, 1.5, 9.0, new long[] {270, 32}, 0.5,
              new int[][] {{60, 70, 70, 70}, {10, 8, 7, 7}}),
          LiveRun.PolicyRun.skipped("maglev", "not here")));

  private static String page() {
    Map<Scenario, List<SimResult>> results = new LinkedHashMap<>();
    for (Scenario s : List.of(Scenario.homogeneous(3), Scenario.hotKey(3))) {
      results.putAll(Simulator.run(List.of(s), List.of("round_robin", "maglev", "maglev_bounded"), 1));
    }
    return HtmlReport.render(LIVE, results, "test");
  }

  @Test
  void everyColumnIsExplainedOnceInTheKey() {
    String page = page();
    assertEquals(1, count(page, "id=\"key\""));
    StringBuilder terms = new StringBuilder();
    Matcher dt = Pattern.compile("<dt>([^<]+)</dt>").matcher(page);
    while (dt.find()) {
      terms.append(dt.group(1)).append('|');
    }
    Matcher th = Pattern.compile("<th>([^<]+)</th>").matcher(page);
    while (th.find()) {
      String column = th.group(1);
      // the live table's backend columns are explained as "b0, b1, ..."
      assertTrue(terms.indexOf(column) >= 0 || LIVE.backends().contains(column), "column not in the key: " + column);
    }
    assertEquals(1, count(page, "requests that failed after every attempt"), "explained once, not per table");
  }

  @Test
  void liveRunHasItsTableLoadChartsAndSentence() {
    String page = page();
    int live = page.indexOf("id=\"live\"");
    int sim = page.indexOf("id=\"simulator\"");
    assertTrue(live > 0 && sim > live, "the live run comes before the simulator");
    String section = page.substring(live, sim);
    assertTrue(section.contains("<th>b1 slow</th>") && section.contains("<td>270</td>"), "the live table");
    assertTrue(section.contains("skipped: not here"), "a skipped policy says why");
    assertEquals(2, count(section, "<svg"), "one load chart per policy that ran");
    assertTrue(section.contains("time into the run (s)") && section.contains("attempts/s"), "axes with units");
    assertTrue(section.contains("b1 fails"), "the event is marked");
    assertTrue(section.contains("<b>Answer:</b> " + LIVE.finding()), "closing sentence: " + LIVE.finding());
    assertTrue(LIVE.finding().startsWith("The slow backend (b1 slow) received from 10.6 % (p2c) to 49.5 % "
        + "(round_robin) of attempts"), LIVE.finding());
  }

  @Test
  void everyScenarioEndsWithItsAnswerAndEveryChartHasAxesWithUnits() {
    String page = page();
    String[] sections = page.substring(page.indexOf("id=\"simulator\"")).split("<h3 ");
    assertEquals(3, sections.length, "intro + 2 scenarios");
    for (int i = 1; i < sections.length; i++) {
      String body = sections[i].replace("</body></html>\n", "");
      assertTrue(body.matches("(?s).*<p class=\"answer\"><b>Answer:</b> [^<]+\\.</p>$"),
          "scenario " + i + " ends with its one-sentence answer");
      assertEquals(1, count(body, "<b>Question:</b>"));
    }
    Matcher svg = Pattern.compile("(?s)<svg .*?</svg>").matcher(page);
    int charts = 0;
    while (svg.find()) {
      String chart = svg.group();
      charts++;
      assertTrue(chart.contains("viewBox="), "scales down on a phone");
      assertTrue((chart.contains("(ms, log scale)") && chart.contains("fraction of requests"))
          || (chart.contains("attempts/s") && chart.contains("(s)</text>")), "axes with units: " + chart);
    }
    assertEquals(2 + 2 * (1 + 3), charts, "live load charts, then per scenario one CDF and one load chart per policy");
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }
}
