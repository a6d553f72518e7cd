package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's demo, shortened to 1 s per policy: real loopback backends, a full table, a report. */
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
  }
}
