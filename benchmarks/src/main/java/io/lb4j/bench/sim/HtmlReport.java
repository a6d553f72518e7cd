package io.lb4j.bench.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders one self-contained HTML page: a key that explains every column and chart once, then the
 * live demo's run (when there is one: its table and each backend's load over time per policy), then
 * per simulator scenario its question, a results table, a latency CDF per policy (log-scale x axis),
 * per-policy small multiples of each backend's attempts per second, and a closing one-sentence
 * answer ({@link Findings}). Every chart has labelled axes with units; everything is inline SVG and
 * CSS (no scripts, no external fetches), and the page reflows down to phone widths. Stateless.
 */
final class HtmlReport {

  private static final String[] COLORS = {
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
      "#bcbd22", "#17becf", "#393b79", "#637939", "#843c39", "#7b4173"};

  private HtmlReport() {}

  /** The page for a live run (null for none) and these scenarios with their results (in run order). */
  static String render(LiveRun live, Map<Scenario, List<SimResult>> results, String subtitle) {
    StringBuilder h = new StringBuilder(128 * 1024);
    String title = live == null ? "lb4j simulator report" : "lb4j report: live demo and simulator";
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").append(title)
        .append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1em;max-width:1200px;color:#222}")
        .append("h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-top:1.6em}")
        .append(".scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px;margin:.5em 0}")
        .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}")
        .append("th:first-child,td:first-child{text-align:left}")
        .append("svg{background:#fafafa;border:1px solid #ddd;margin:4px;max-width:100%;height:auto}")
        .append(".charts{display:flex;flex-wrap:wrap}.small{font-size:12px;color:#555}")
        .append(".legend span{margin-right:.6em;white-space:nowrap}")
        .append("dl.key{font-size:14px;display:grid;grid-template-columns:max-content 1fr;gap:3px 14px}")
        .append("dl.key dt{font-weight:bold}dl.key dd{margin:0}")
        .append("@media (max-width:600px){dl.key{display:block}dl.key dd{margin:0 0 .4em 1em}}")
        .append(".answer{max-width:60em;background:#f3f6fb;border-left:3px solid #1f77b4;padding:4px 10px}")
        .append("</style></head><body><h1>").append(title).append("</h1><p class=\"small\">").append(esc(subtitle))
        .append("</p>");
    contents(h, live, results);
    key(h, live != null);
    if (live != null) {
      live(h, live);
    }
    h.append("<h2 id=\"simulator\">Simulator</h2><p>A seeded discrete-event simulation on simulated time: Poisson "
        + "arrivals go through lb4j's real balancer (the named policy, outlier detection swept every simulated "
        + "second) to simulated backends with queues; a failed attempt is retried on another backend (at most ")
        .append(Simulation.MAX_ATTEMPTS).append(" attempts) while lb4j's retry budget allows.</p>");
    for (Map.Entry<Scenario, List<SimResult>> e : results.entrySet()) {
      scenario(h, e.getKey(), e.getValue());
    }
    return h.append("</body></html>\n").toString();
  }

  private static void contents(StringBuilder h, LiveRun live, Map<Scenario, List<SimResult>> results) {
    h.append("<p class=\"small\">Contents: <a href=\"#key\">how to read it</a>");
    if (live != null) {
      h.append(" · <a href=\"#live\">live demo</a>");
    }
    h.append(" · simulator:");
    for (Scenario s : results.keySet()) {
      h.append(" <a href=\"#").append(id(s)).append("\">").append(esc(s.name())).append("</a>");
    }
    h.append("</p>");
  }

  /** Every column and chart, explained once for the whole page. */
  private static void key(StringBuilder h, boolean live) {
    h.append("<h2 id=\"key\">How to read the tables and charts</h2><dl class=\"key\">")
        .append("<dt>policy</dt><dd>the load-balancing policy, by its short name (<code>_bounded</code>: bounded "
            + "load, balance factor 1.25; <code>_stable</code>: the stable ring construction).</dd>")
        .append("<dt>p50 ms, p99 ms, p99.9 ms</dt><dd>latency percentiles in milliseconds as the caller sees it, "
            + "from sending a request to its final answer, retries and backoff included.</dd>");
    if (live) {
      h.append("<dt>requests</dt><dd>(live) requests completed, whether they succeeded or not.</dd>");
    }
    h.append("<dt>errors</dt><dd>requests that failed after every attempt: what the caller sees fail")
        .append(live ? " (a count in the live table, a share of all requests in the simulator's)" : "")
        .append(".</dd>")
        .append("<dt>retries</dt><dd>attempts after a request's first, made on another backend while the retry "
            + "budget allowed.</dd>")
        .append("<dt>ejections</dt><dd>how often outlier detection took a backend out of rotation.</dd>")
        .append("<dt>max/mean</dt><dd>the busiest backend's attempts over the mean per backend: 1.00 is perfectly "
            + "even, 2.00 means one backend got twice its share.</dd>")
        .append("<dt>home % (attempts / keys)</dt><dd>for hash policies: the share of attempts with keys other "
            + "than the hot key that went to the backend the key hashes to, and the share of those keys that went "
            + "there more than half the time; \"-\" for policies that do not hash.</dd>")
        .append("<dt>attempts per backend")
        .append(live ? "; b0, b1, ... (live)" : "")
        .append("</dt><dd>attempts each backend received, retries included.</dd>")
        .append("<dt>latency CDF chart</dt><dd>one line per policy: the fraction of requests (y axis, 0 to 1) "
            + "answered within a caller-seen latency (x axis, milliseconds, log scale); further left and higher is "
            + "better.</dd>")
        .append("<dt>load charts</dt><dd>one small chart per policy: each line is one backend's attempts per "
            + "second (y axis) over time (x axis, seconds); dashed lines mark faults starting or ending.</dd>")
        .append("</dl>");
  }

  private static void live(StringBuilder h, LiveRun live) {
    h.append("<h2 id=\"live\">Live demo</h2><p>").append(esc(live.setup()))
        .append(String.format(Locale.ROOT, " Real OkHttp requests through lb4j on 127.0.0.1, %.1f s per policy, at "
            + "most %d attempts per request.</p>", live.secondsPerPolicy(), live.maxAttempts()));
    h.append("<div class=\"scroll\"><table><tr><th>policy</th>");
    for (String b : live.backends()) {
      h.append("<th>").append(esc(b)).append("</th>");
    }
    h.append("<th>requests</th><th>p50 ms</th><th>p99 ms</th><th>errors</th><th>retries</th><th>ejections</th></tr>");
    for (LiveRun.PolicyRun r : live.policies()) {
      h.append("<tr><td>").append(esc(r.policy())).append("</td>");
      if (r.skipped() != null) {
        h.append("<td colspan=\"").append(live.backends().size() + 6).append("\">skipped: ")
            .append(esc(r.skipped())).append("</td></tr>");
        continue;
      }
      for (long a : r.attempts()) {
        h.append("<td>").append(a).append("</td>");
      }
      h.append(String.format(Locale.ROOT, "<td>%d</td><td>%.1f</td><td>%.1f</td><td>%d</td><td>%d</td><td>%d</td></tr>",
          r.requests(), r.p50(), r.p99(), r.errors(), r.retries(), r.ejections()));
    }
    h.append("</table></div>");
    legend(h, "Attempts per second per backend:", live.backends());
    h.append("<div class=\"charts\">");
    for (LiveRun.PolicyRun r : live.policies()) {
      if (r.skipped() == null) {
        int buckets = r.perBucket().length == 0 ? 0 : r.perBucket()[0].length;
        List<Mark> marks = new ArrayList<>();
        for (LiveRun.Event ev : live.events()) {
          marks.add(new Mark(ev.at() * buckets * r.bucketSeconds(), ev.label()));
        }
        load(h, r.policy(), r.perBucket(), buckets, r.bucketSeconds(), "time into the run (s)", marks);
      }
    }
    h.append("</div>");
    answer(h, Findings.live(live));
  }

  private static void scenario(StringBuilder h, Scenario s, List<SimResult> rs) {
    h.append("<h3 id=\"").append(id(s)).append("\">").append(esc(s.name())).append("</h3><p>")
        .append(esc(s.description()))
        .append(String.format(Locale.ROOT, "; %d s simulated.</p>", s.durationSeconds()))
        .append("<p><b>Question:</b> ").append(esc(s.question())).append("</p>");
    table(h, rs);
    cdf(h, rs);
    List<String> names = new ArrayList<>();
    for (int b = 0; b < s.backends().size(); b++) {
      names.add("backend " + b);
    }
    legend(h, "Attempts per second per backend (backend 0 is the odd one where there is one):", names);
    List<Mark> marks = new ArrayList<>();
    for (int b = 0; b < s.backends().size(); b++) {
      BackendSpec spec = s.backends().get(b);
      if (spec.downAtSeconds() >= 0) {
        marks.add(new Mark(spec.downAtSeconds(), "backend " + b + " down"));
      }
      if (spec.upAtSeconds() >= 0) {
        marks.add(new Mark(spec.upAtSeconds(), "backend " + b + " up"));
      }
      BackendSpec.Slowdown slow = spec.slowdown();
      if (slow != BackendSpec.Slowdown.NONE) {
        // one mark per change: where it turns slow and, for an oscillation, where it turns back
        double step = slow.periodSeconds() == 0 ? s.durationSeconds() : slow.periodSeconds() / 2;
        for (double t = slow.fromSeconds(); t < s.durationSeconds(); t += step) {
          marks.add(new Mark(t, "backend " + b + (slow.slowAt(t) ? " slow" : " normal")));
        }
      }
    }
    h.append("<div class=\"charts\">");
    for (SimResult r : rs) {
      if (r.skipped() == null) {
        int[][] series = r.perSecond();
        int seconds = series.length == 0 ? 0 : series[0].length - 1; // last bucket: the drain after arrivals stop
        load(h, r.policy(), series, seconds, 1, "simulated time (s)", marks);
      }
    }
    h.append("</div>");
    answer(h, Findings.answer(s, rs));
  }

  private static void answer(StringBuilder h, String sentence) {
    h.append("<p class=\"answer\"><b>Answer:</b> ").append(esc(sentence)).append("</p>");
  }

  private static void legend(StringBuilder h, String caption, List<String> names) {
    h.append("<p class=\"small legend\">").append(esc(caption)).append(' ');
    for (int i = 0; i < names.size(); i++) {
      h.append("<span style=\"color:").append(COLORS[i % COLORS.length]).append("\">&#9632; ")
          .append(esc(names.get(i))).append("</span> ");
    }
    h.append("</p>");
  }

  private static void table(StringBuilder h, List<SimResult> rs) {
    h.append("<div class=\"scroll\"><table><tr><th>policy</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th>")
        .append("<th>errors</th><th>retries</th><th>ejections</th><th>max/mean</th>")
        .append("<th>home % (attempts / keys)</th>")
        .append("<th>attempts per backend</th></tr>");
    for (SimResult r : rs) {
      h.append("<tr><td>").append(esc(r.policy())).append("</td>");
      if (r.skipped() != null) {
        h.append("<td colspan=\"9\">skipped: ").append(esc(r.skipped())).append("</td></tr>");
        continue;
      }
      h.append(String.format(Locale.ROOT, "<td>%.1f</td><td>%.1f</td><td>%.1f</td><td>%.3f %%</td><td>%d</td>"
              + "<td>%d</td><td>%.2f</td><td>%s</td><td>%s</td></tr>", r.p50(), r.p99(), r.p999(),
          100 * r.errorRate(), r.retries(), r.ejections(), r.maxOverMean(), Simulator.home(r),
          esc(Arrays.toString(r.perBackend()))));
    }
    h.append("</table></div>");
  }

  private static void cdf(StringBuilder h, List<SimResult> rs) {
    int w = 560;
    int ht = 320;
    int left = 54;
    int right = 24;
    int top = 24;
    int bottom = 40;
    double max = 1;
    for (SimResult r : rs) {
      for (double v : r.cdf()) {
        max = Math.max(max, v);
      }
    }
    double lo = Math.log10(0.1);
    double hi = Math.ceil(Math.log10(max));
    int plotW = w - left - right;
    int plotH = ht - top - bottom;
    svgOpen(h, w, ht);
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"15\" font-size=\"13\">latency CDF</text>", left));
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">"
        + "caller-seen latency (ms, log scale)</text>", left + plotW / 2, ht - 6));
    h.append(String.format(Locale.ROOT, "<text x=\"13\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 13 %d)\">fraction of requests at or below</text>", top + plotH / 2,
        top + plotH / 2));
    for (double d = Math.ceil(lo); d <= hi; d++) {
      double x = left + (d - lo) / (hi - lo) * plotW;
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
          + "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>", x, top, x, top + plotH,
          x, top + plotH + 14, fmt(Math.pow(10, d))));
    }
    for (int q = 0; q <= 4; q++) {
      double y = top + plotH - q / 4.0 * plotH;
      h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>", left, y, left + plotW, y,
          left - 4, y + 3, q / 4.0));
    }
    List<String> names = new ArrayList<>();
    for (SimResult r : rs) {
      if (r.skipped() != null || r.cdf().length == 0) {
        continue;
      }
      h.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(COLORS[names.size() % COLORS.length])
          .append("\" points=\"");
      double[] c = r.cdf();
      for (int k = 0; k < c.length; k++) {
        double v = Math.log10(Math.max(0.1, c[k]));
        double x = left + (v - lo) / (hi - lo) * plotW;
        double y = top + plotH - (k + 1.0) / c.length * plotH;
        h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      h.append("\"/>");
      names.add(r.policy());
    }
    h.append("</svg>");
    legend(h, "Latency CDF lines:", names);
  }

  /**
   * A small chart of each backend's attempts per second over time, from counts per time bucket;
   * {@code marks} become dashed vertical lines with their labels.
   */
  private static void load(StringBuilder h, String title, int[][] series, int buckets, double bucketSeconds,
      String xLabel, List<Mark> marks) {
    int w = 300;
    int ht = 180;
    int left = 44;
    int right = 10;
    int top = 22;
    int bottom = 32;
    double max = 1;
    for (int[] s : series) {
      for (int k = 0; k < buckets; k++) {
        max = Math.max(max, s[k] / bucketSeconds);
      }
    }
    double seconds = buckets * bucketSeconds;
    int plotW = w - left - right;
    int plotH = ht - top - bottom;
    svgOpen(h, w, ht);
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" font-size=\"11\">%s</text>", left, esc(title)));
    // y axis: attempts per second, ticks at 0, half and the maximum
    for (int q = 0; q <= 2; q++) {
      double y = top + plotH - q / 2.0 * plotH;
      h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%d</text>", left, y, left + plotW, y,
          left - 3, y + 3, Math.round(max * q / 2.0)));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"9\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 9 %d)\">attempts/s</text>", top + plotH / 2, top + plotH / 2));
    // x axis: seconds, ticks at 0, half and the end
    for (int q = 0; q <= 2; q++) {
      double x = left + q / 2.0 * plotW;
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
          + "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%s</text>", x, top + plotH, x,
          top + plotH + 3, x, top + plotH + 12, fmt(seconds * q / 2.0)));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%s</text>",
        left + plotW / 2, ht - 4, esc(xLabel)));
    for (int m = 0; m < marks.size(); m++) {
      double x = left + Math.min(1, marks.get(m).seconds() / Math.max(1e-9, seconds)) * plotW;
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" "
          + "stroke-dasharray=\"3,3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"8\" fill=\"#555\">%s</text>", x, top, x,
          top + plotH, x + 2, top + 8 + 9 * (m % 3), esc(marks.get(m).label())));
    }
    for (int b = 0; b < series.length; b++) {
      h.append("<polyline fill=\"none\" stroke-width=\"1\" stroke=\"").append(COLORS[b % COLORS.length])
          .append("\" points=\"");
      for (int k = 0; k < buckets; k++) {
        double x = left + (k + 0.5) / buckets * plotW; // bucket centres
        double y = top + plotH - series[b][k] / bucketSeconds / max * plotH;
        h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      h.append("\"/>");
    }
    h.append("</svg>");
  }

  /** A moment on a load chart's time axis, in seconds, and what happened then. */
  private record Mark(double seconds, String label) {}

  /** An SVG that keeps its proportions when the page is narrower than it. */
  private static void svgOpen(StringBuilder h, int w, int ht) {
    h.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
        + "xmlns=\"http://www.w3.org/2000/svg\">", w, ht, w, ht));
  }

  private static String id(Scenario s) {
    return "sim-" + s.name().replaceAll("[^A-Za-z0-9_-]", "-");
  }

  private static String fmt(double v) {
    if (v == Math.rint(v)) {
      return String.valueOf((long) v);
    }
    return v >= 1 ? String.format(Locale.ROOT, "%.1f", v) : String.valueOf(v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
