package io.lb4j.bench.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the {@link FleetScenario}s (aperture at fleet scale, zone routing with uneven zones), each in
 * every mode it compares, and prints one table per scenario with its question and answer. The
 * {@link Simulator} runs it too and puts the results in its HTML report. Stateless.
 *
 * <p>Usage: {@code java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.sim.FleetSimulator
 * [--seed N] [scenario ...]}.
 */
public final class FleetSimulator {

  private FleetSimulator() {}

  /** Runs and prints the standard fleet scenarios (or the named ones). */
  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long seed = 1;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--seed")) {
        seed = Long.parseLong(args[++i]);
      } else {
        names.add(args[i]);
      }
    }
    print(System.out, run(select(names), seed));
  }

  /** The standard scenarios, or those named (all of them when {@code names} is empty). */
  static List<FleetScenario> select(List<String> names) {
    List<FleetScenario> all = FleetScenario.standard();
    if (names.isEmpty()) {
      return all;
    }
    List<FleetScenario> out = all.stream().filter(s -> names.contains(s.name())).toList();
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no fleet scenario named " + names + "; known: "
          + all.stream().map(FleetScenario::name).toList());
    }
    return out;
  }

  /** Runs each scenario in each of its modes. */
  public static Map<FleetScenario, List<FleetResult>> run(List<FleetScenario> scenarios, long seed) {
    Map<FleetScenario, List<FleetResult>> out = new LinkedHashMap<>();
    for (FleetScenario s : scenarios) {
      FleetSimulation sim = new FleetSimulation(s, seed);
      List<FleetResult> rs = new ArrayList<>();
      for (String mode : sim.modes()) {
        rs.add(sim.run(mode));
      }
      out.put(s, rs);
    }
    return out;
  }

  /** One table per scenario, with its question and answer. */
  public static void print(PrintStream out, Map<FleetScenario, List<FleetResult>> results) {
    for (Map.Entry<FleetScenario, List<FleetResult>> e : results.entrySet()) {
      FleetScenario s = e.getKey();
      out.printf("%n== %s: %s%n", s.name(), s.description());
      out.printf("%-26s %9s %10s %9s %12s %11s %13s  %s%n", "mode", "aperture", "conn mean", "conn max",
          "no endpoint", "load max/mean", "clients max/mean", s.kind() == FleetScenario.Kind.ZONES
              ? "local share per client zone (planned)" : "");
      for (FleetResult r : e.getValue()) {
        out.printf(Locale.ROOT, "%-26s %9s %10.1f %9d %12s %11.3f %13.3f  %s%n", r.mode(),
            r.aperture() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.aperture()), r.connectionsMean(),
            r.connectionsMax(), r.clientsWithoutEndpoints() + " clients", r.maxOverMean(), r.clientsMaxOverMean(),
            zones(r));
      }
      out.printf("Q: %s%nA: %s%n", s.question(), Findings.fleet(s, e.getValue()));
    }
  }

  /** "a 30.0 % (30.0 %), b ..." for zone runs; "" otherwise. */
  static String zones(FleetResult r) {
    StringBuilder sb = new StringBuilder();
    r.localShare().forEach((z, share) -> {
      sb.append(sb.length() == 0 ? "" : ", ").append(z).append(' ')
          .append(String.format(Locale.ROOT, "%.1f %%", 100 * share));
      Double planned = r.plannedLocalShare().get(z);
      if (planned != null) {
        sb.append(String.format(Locale.ROOT, " (%.1f %%)", 100 * planned));
      }
    });
    return sb.toString();
  }
}
