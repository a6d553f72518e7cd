package io.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The alerting rules of the README's "Operating lb4j" section, evaluated on real Prometheus scrapes
 * (the text a Micrometer {@code PrometheusMeterRegistry} serves), so the README's expressions are
 * checked against the series lb4j really exports. Prometheus itself cannot run in a test; this
 * evaluates the subset of PromQL the rules use and refuses anything else:
 *
 * <pre>
 *   expr     := vector op number
 *   vector   := ("sum" | "max") " by (" labels ") (" vector ")"
 *             | "increase(" selector "[" duration "])"
 *             | selector
 *   selector := metric_name ["{" label ("=" | "!=") "\"" value "\"" ("," ...)* "}"]
 *   op       := "&gt;" | "&gt;=" | "&lt;" | "&lt;=" | "==" | "!="
 * </pre>
 *
 * An instant selector reads the scrape taken at the end of the window; {@code increase} is the
 * difference between the scrape at the end and the one at the start, for series present in both
 * (as Prometheus, which needs two samples of a series; so a counter created only when it first
 * counts would never fire). {@code for:} durations are not modelled. Stateless; thread-safe.
 */
public final class PrometheusAlerts {

  /** One alerting rule: its name and expression. */
  public record Rule(String alert, String expr) {}

  /** One series of a scrape: metric name and labels (sorted). */
  public record Series(String name, Map<String, String> labels) {}

  private static final Pattern RULE = Pattern.compile("- alert: (\\w+)[^\\n]*\\n\\s+expr: ([^\\n]+)");
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?");
  private static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=|!=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,?");

  private PrometheusAlerts() {}

  /** The rules in the README's "Operating lb4j" section, by alert name, in order. */
  public static Map<String, Rule> readme() {
    String text = readmeText();
    int start = text.indexOf("## Operating lb4j");
    if (start < 0) {
      throw new AssertionError("README.md has no '## Operating lb4j' section");
    }
    int end = text.indexOf("\n## ", start + 1);
    Matcher m = RULE.matcher(text.substring(start, end < 0 ? text.length() : end));
    Map<String, Rule> rules = new LinkedHashMap<>();
    while (m.find()) {
      String expr = m.group(2).strip();
      int comment = expr.indexOf(" #");
      rules.put(m.group(1), new Rule(m.group(1), comment < 0 ? expr : expr.substring(0, comment).strip()));
    }
    return rules;
  }

  /** The rule of this name in the README; fails if it is not there. */
  public static Rule rule(String alert) {
    Rule r = readme().get(alert);
    if (r == null) {
      throw new AssertionError("README.md's Operating lb4j section has no alert " + alert + "; it has " + readme().keySet());
    }
    return r;
  }

  private static String readmeText() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path readme = dir.resolve("README.md");
      try {
        if (Files.isRegularFile(readme) && Files.readString(readme).contains("## Operating lb4j")) {
          return Files.readString(readme);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new AssertionError("no README.md with an '## Operating lb4j' section above " + Path.of("").toAbsolutePath());
  }

  /**
   * Parses the Prometheus text exposition format: every sample line, by series; labels with an
   * empty value are left out, as Prometheus stores them.
   */
  public static Map<Series, Double> parse(String exposition) {
    Map<Series, Double> out = new LinkedHashMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.strip());
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        int at = 0;
        while (at < m.group(3).length() && l.find(at) && l.start() == at) {
          if (!l.group(3).isEmpty()) { // Prometheus stores an empty label as no label
            labels.put(l.group(1), unescape(l.group(3)));
          }
          at = l.end();
        }
        if (at != m.group(3).length()) {
          throw new AssertionError("bad labels in: " + line);
        }
      }
      out.put(new Series(m.group(1), labels), Double.parseDouble(m.group(4).replace("+Inf", "Infinity")));
    }
    return out;
  }

  private static String unescape(String v) {
    return v.replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\");
  }

  /**
   * The series for which {@code rule} fires, by their labels, with the value the comparison kept:
   * empty when it does not fire.
   *
   * @param windowStart the scrape at the start of the window ({@code increase} subtracts it)
   * @param now the scrape at the end of the window (instant selectors read it)
   */
  public static Map<Map<String, String>, Double> firing(Rule rule, String windowStart, String now) {
    Evaluation e = new Evaluation(rule.expr(), parse(windowStart), parse(now));
    Map<Map<String, String>, Double> result = e.expression();
    if (e.at != e.text.length()) {
      throw new AssertionError("unsupported PromQL at " + e.at + " in " + rule);
    }
    return result;
  }

  /** {@link #firing(Rule, String, String)} with one scrape as both ends of the window. */
  public static Map<Map<String, String>, Double> firing(Rule rule, String scrape) {
    return firing(rule, scrape, scrape);
  }

  /** A recursive-descent evaluation of one expression. */
  private static final class Evaluation {
    final String text;
    final Map<Series, Double> start;
    final Map<Series, Double> end;
    int at;

    Evaluation(String text, Map<Series, Double> start, Map<Series, Double> end) {
      this.text = text;
      this.start = start;
      this.end = end;
    }

    Map<Map<String, String>, Double> expression() {
      Map<Map<String, String>, Double> vector = vector();
      String op = token("(>=|<=|==|!=|>|<)");
      double threshold = Double.parseDouble(token("(-?[0-9.]+(?:e-?[0-9]+)?)"));
      Map<Map<String, String>, Double> kept = new LinkedHashMap<>();
      vector.forEach((labels, v) -> {
        boolean keep = switch (op) {
          case ">" -> v > threshold;
          case ">=" -> v >= threshold;
          case "<" -> v < threshold;
          case "<=" -> v <= threshold;
          case "==" -> v == threshold;
          default -> v != threshold;
        };
        if (keep) {
          kept.put(labels, v);
        }
      });
      return kept;
    }

    Map<Map<String, String>, Double> vector() {
      skipSpaces();
      if (text.startsWith("sum", at) || text.startsWith("max", at)) {
        String agg = token("(sum|max)");
        token("(by)");
        token("(\\()");
        List<String> by = new ArrayList<>();
        do {
          by.add(token("([a-zA-Z_][a-zA-Z0-9_]*)"));
        } while (optional(","));
        token("(\\))");
        token("(\\()");
        Map<Map<String, String>, Double> inner = vector();
        token("(\\))");
        Map<Map<String, String>, Double> grouped = new LinkedHashMap<>();
        inner.forEach((labels, v) -> {
          Map<String, String> key = new TreeMap<>();
          for (String l : by) {
            if (labels.containsKey(l)) {
              key.put(l, labels.get(l));
            }
          }
          grouped.merge(key, v, agg.equals("sum") ? Double::sum : Math::max);
        });
        return grouped;
      }
      if (text.startsWith("increase(", at)) {
        token("(increase\\()");
        Selector s = selector();
        token("(\\[[0-9]+[smhd]])");
        token("(\\))");
        Map<Map<String, String>, Double> out = new LinkedHashMap<>();
        end.forEach((series, v) -> {
          Double before = start.get(series);
          if (s.matches(series) && before != null) {
            out.put(series.labels(), v - before);
          }
        });
        return out;
      }
      Selector s = selector();
      Map<Map<String, String>, Double> out = new LinkedHashMap<>();
      end.forEach((series, v) -> {
        if (s.matches(series)) {
          out.put(series.labels(), v);
        }
      });
      return out;
    }

    Selector selector() {
      String name = token("([a-zA-Z_:][a-zA-Z0-9_:]*)");
      Map<String, String> equal = new TreeMap<>();
      Map<String, String> notEqual = new TreeMap<>();
      if (optional("{")) {
        do {
          String label = token("([a-zA-Z_][a-zA-Z0-9_]*)");
          String op = token("(!=|=)");
          String value = token("\"([^\"]*)\"");
          (op.equals("=") ? equal : notEqual).put(label, value);
        } while (optional(","));
        token("(})");
      }
      return new Selector(name, equal, notEqual);
    }

    private String token(String regex) {
      skipSpaces();
      Matcher m = Pattern.compile(regex).matcher(text).region(at, text.length());
      if (!m.lookingAt()) {
        throw new AssertionError("unsupported PromQL: expected " + regex + " at " + at + " in: " + text);
      }
      at = m.end();
      return m.group(1);
    }

    private boolean optional(String literal) {
      skipSpaces();
      if (text.startsWith(literal, at)) {
        at += literal.length();
        return true;
      }
      return false;
    }

    private void skipSpaces() {
      while (at < text.length() && text.charAt(at) == ' ') {
        at++;
      }
    }
  }

  /** A metric name with label matchers. */
  private record Selector(String name, Map<String, String> equal, Map<String, String> notEqual) {
    boolean matches(Series s) {
      if (!s.name().equals(name)) {
        return false;
      }
      for (Map.Entry<String, String> e : equal.entrySet()) {
        if (!e.getValue().equals(s.labels().getOrDefault(e.getKey(), ""))) {
          return false;
        }
      }
      for (Map.Entry<String, String> e : notEqual.entrySet()) {
        if (e.getValue().equals(s.labels().getOrDefault(e.getKey(), ""))) {
          return false;
        }
      }
      return true;
    }
  }
}
