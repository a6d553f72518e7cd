package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The package rules of lb4j-core, read from the compiled classes with the JDK's {@code jdeps}: the
 * sub-packages ({@code policy}, {@code health}, {@code outlier}, {@code metrics}, {@code discovery},
 * {@code internal}) form no import cycle among themselves, and the metrics package does not read
 * back through the facade.
 */
class PackageDependenciesTest {

  private static final Pattern EDGE = Pattern.compile("^\\s+(io\\.lb4j[\\w.]*)\\s+->\\s+(io\\.lb4j[\\w.]*)\\s");

  /** Package → the lb4j packages it uses, from jdeps. */
  private static Map<String, Set<String>> graph() throws Exception {
    Path classes = Path.of(LoadBalancer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    int rc = jdeps.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "-verbose:package",
        "-filter:none", classes.toString());
    assertEquals(0, rc, out.toString());
    Map<String, Set<String>> g = new TreeMap<>();
    for (String line : out.toString().split("\n")) {
      Matcher m = EDGE.matcher(line);
      if (m.find() && !m.group(1).equals(m.group(2))) {
        g.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
      }
    }
    return g;
  }

  @Test
  void subPackagesFormNoCycle() throws Exception {
    Map<String, Set<String>> g = graph();
    assertTrue(g.containsKey("io.lb4j"), "jdeps saw the classes: " + g);
    List<String> cycles = new ArrayList<>();
    for (String start : g.keySet()) {
      if (!start.equals("io.lb4j")) {
        findCycle(g, start, start, new ArrayList<>(List.of(start)), cycles);
      }
    }
    assertEquals(List.of(), cycles, "package graph " + g);
  }

  @Test
  void metricsDoNotReadBackThroughTheFacade() throws Exception {
    assertEquals(Set.of(), graph().getOrDefault("io.lb4j.metrics", Set.of()));
  }

  /** Depth-first search for a path back to {@code start} that does not pass through io.lb4j. */
  private static void findCycle(Map<String, Set<String>> g, String start, String at, List<String> path,
      List<String> cycles) {
    for (String next : g.getOrDefault(at, Set.of())) {
      if (next.equals("io.lb4j")) {
        continue;
      }
      if (next.equals(start)) {
        cycles.add(String.join(" -> ", path) + " -> " + start);
      } else if (!path.contains(next) && path.size() < 10) {
        path.add(next);
        findCycle(g, start, next, path, cycles);
        path.remove(path.size() - 1);
      }
    }
  }
}
