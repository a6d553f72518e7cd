package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's demo, shortened to 1 s per policy: real loopback backends, a full table, progress as
 * lines (no terminal here), and a report that holds the live run next to the simulator's scenarios.
 */
class DemoSmokeTest {

  @Test
  void demoRunsEveryPolicyAndWritesTheReport(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("report.html");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      Demo.main(new String[] {"1", report.toString()});
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    old.println(out);
    for (String policy : new String[] {"round_robin", "p2c", "least_request", "peak_ewma", "maglev"}) {
      assertTrue(out.lines().anyMatch(l -> l.startsWith(policy + " ") && l.matches(".*\\d+\\.\\d\\s+\\d+\\.\\d.*")),
          "no result row for " + policy);
    }
    assertTrue(Files.size(report) > 10_000, "report too small");
    // Not a terminal here: progress comes as whole lines, never as carriage-return redraws.
    assertFalse(out.contains("\r"), "carriage returns in non-terminal output");
    assertTrue(out.lines().filter(l -> l.contains(" done: ")).count() == 5, "one 'done' line per policy");
    String page = Files.readString(report);
    assertTrue(page.contains("id=\"live\"") && page.contains("b1 slow") && page.contains("time into the run (s)"),
        "the report holds the live run's table and load charts");
    String finding = out.lines().filter(l -> l.startsWith("The slow backend (b1 slow) received")).findFirst().orElse(null);
    assertTrue(finding != null && page.contains(finding), "the console's closing sentence is the report's: " + finding);
  }
}
