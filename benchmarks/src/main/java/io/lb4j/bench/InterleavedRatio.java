package io.lb4j.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The throughput ratio of two methods of one JMH benchmark (e.g. {@code balanced/plain} of
 * {@link OkHttpOverheadBenchmark}) measured so that a noisy machine moves both sides alike: forks
 * of the two in alternation, one fork each at a time, in the order ABBA (so a machine that slowly
 * gets busier or quieter favours neither), each pair's ratio, and the median of those ratios with
 * their spread (min and max). A single run of each side, as JMH does by default, compares two
 * stretches of time; here each ratio compares neighbours.
 *
 * <pre>{@code
 * java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.InterleavedRatio \
 *     OkHttpOverheadBenchmark plain balanced 10 -wi 3 -w 2s -i 5 -r 2s
 * }</pre>
 *
 * <p>Arguments: the benchmark class (simple name in {@code io.lb4j.bench}, or fully qualified),
 * the baseline method, the candidate method, the number of pairs, then any JMH options for every
 * fork (warm-up, iterations, {@code -p}, {@code -jvmArgsAppend}, {@code -prof gc}, ...; {@code -f}
 * defaults to 1, {@code -f 0} runs in this JVM, for a smoke test only). With {@code -prof gc} the
 * median B/op of each side is printed too.
 */
public final class InterleavedRatio {

  private static final String ALLOC = "gc.alloc.rate.norm";

  private InterleavedRatio() {}

  /** One pair of neighbouring forks: the baseline's and the candidate's score (ops/s) and B/op, NaN if unmeasured. */
  public record Pair(double base, double candidate, double baseBytes, double candidateBytes) {
    /** candidate / base. */
    public double ratio() {
      return candidate / base;
    }
  }

  /**
   * The pairs of one run, in run order.
   *
   * @param base the baseline method's name
   * @param candidate the candidate method's name
   * @param pairs each pair's scores
   */
  public record Report(String base, String candidate, List<Pair> pairs) {

    /** The median of the per-pair ratios candidate/base. */
    public double medianRatio() {
      return median(pairs.stream().mapToDouble(Pair::ratio).toArray());
    }

    /** The smallest per-pair ratio. */
    public double minRatio() {
      return pairs.stream().mapToDouble(Pair::ratio).min().orElse(Double.NaN);
    }

    /** The largest per-pair ratio. */
    public double maxRatio() {
      return pairs.stream().mapToDouble(Pair::ratio).max().orElse(Double.NaN);
    }

    /** The summary line: median ratio, its spread, and the median B/op of each side when measured. */
    public String summary() {
      String line = String.format(Locale.ROOT, "median ratio %s/%s: %.3f (min %.3f, max %.3f, %d pairs)",
          candidate, base, medianRatio(), minRatio(), maxRatio(), pairs.size());
      double baseBytes = median(pairs.stream().mapToDouble(Pair::baseBytes).toArray());
      double candidateBytes = median(pairs.stream().mapToDouble(Pair::candidateBytes).toArray());
      if (!Double.isNaN(baseBytes) && !Double.isNaN(candidateBytes)) {
        line += String.format(Locale.ROOT, "; median B/op %s %.0f, %s %.0f, added %+.0f",
            base, baseBytes, candidate, candidateBytes, candidateBytes - baseBytes);
      }
      return line;
    }
  }

  /** The median of {@code values}; NaN if empty or any is NaN. */
  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v); // NaN sorts last
    if (Double.isNaN(v[v.length - 1])) {
      return Double.NaN;
    }
    int mid = v.length / 2;
    return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }

  /**
   * Runs {@code pairs} pairs of forks of {@code benchmark}'s {@code base} and {@code candidate}
   * methods (ABBA order) with {@code jmh}'s options, printing each pair to {@code out} as it ends.
   *
   * @throws IllegalArgumentException if pairs is below 1 or a name is blank
   * @throws RunnerException if JMH fails
   */
  public static Report run(String benchmark, String base, String candidate, int pairs, Options jmh,
      PrintStream out) throws RunnerException {
    if (pairs < 1) {
      throw new IllegalArgumentException("pairs must be >= 1, got " + pairs);
    }
    for (String name : List.of(benchmark, base, candidate)) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("benchmark, base and candidate must not be blank, got '"
            + benchmark + "', '" + base + "', '" + candidate + "'");
      }
    }
    String cls = benchmark.contains(".") ? benchmark : InterleavedRatio.class.getPackageName() + "." + benchmark;
    int forks = jmh.getForkCount().orElse(1);
    List<Pair> done = new ArrayList<>();
    out.printf(Locale.ROOT, "%4s %14s %14s %8s%n", "pair", base + " ops/s", candidate + " ops/s", "ratio");
    for (int i = 0; i < pairs; i++) {
      boolean baseFirst = i % 2 == 0;
      RunResult first = once(cls, baseFirst ? base : candidate, forks, jmh);
      RunResult second = once(cls, baseFirst ? candidate : base, forks, jmh);
      RunResult b = baseFirst ? first : second;
      RunResult c = baseFirst ? second : first;
      Pair p = new Pair(b.getPrimaryResult().getScore(), c.getPrimaryResult().getScore(), bytes(b), bytes(c));
      done.add(p);
      out.printf(Locale.ROOT, "%4d %14.1f %14.1f %8.3f%n", i + 1, p.base(), p.candidate(), p.ratio());
    }
    Report report = new Report(base, candidate, List.copyOf(done));
    out.println(report.summary());
    return report;
  }

  private static RunResult once(String cls, String method, int forks, Options jmh) throws RunnerException {
    Options opts = new OptionsBuilder().parent(jmh).include("^" + cls.replace(".", "\\.") + "\\." + method + "$")
        .forks(forks).build();
    Collection<RunResult> results = new Runner(opts).run();
    if (results.size() != 1) {
      throw new IllegalArgumentException("expected one benchmark for " + cls + "." + method + ", ran "
          + results.size() + " (is the method name right? are -p options single-valued?)");
    }
    return results.iterator().next();
  }

  private static double bytes(RunResult r) {
    Result<?> alloc = r.getSecondaryResults().get(ALLOC);
    return alloc == null ? Double.NaN : alloc.getScore();
  }

  /**
   * Entry point: {@code <benchmark> <base> <candidate> <pairs> [JMH options]}.
   *
   * @throws RunnerException if JMH fails
   */
  public static void main(String[] args) throws RunnerException {
    if (args.length < 4) {
      System.err.println("usage: InterleavedRatio <benchmark> <base method> <candidate method> <pairs> [JMH options]");
      System.err.println("  e.g. InterleavedRatio OkHttpOverheadBenchmark plain balanced 10 -wi 3 -w 2s -i 5 -r 2s");
      System.exit(2);
    }
    int pairs;
    try {
      pairs = Integer.parseInt(args[3]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("pairs must be a number, got '" + args[3] + "'", e);
    }
    Options jmh;
    try {
      jmh = new CommandLineOptions(Arrays.copyOfRange(args, 4, args.length));
    } catch (CommandLineOptionException e) {
      throw new IllegalArgumentException("bad JMH options " + Arrays.toString(Arrays.copyOfRange(args, 4, args.length))
          + ": " + e.getMessage(), e);
    }
    run(args[0], args[1], args[2], pairs, jmh, System.out);
  }
}
