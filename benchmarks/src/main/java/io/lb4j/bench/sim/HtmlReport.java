package io.lb4j.bench.sim;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders simulator results as one self-contained HTML page: per scenario a results table, the
 * scenario's question with its one-sentence answer ({@link Findings}), a latency CDF per policy
 * (log-scale x axis) and per-policy small multiples of each backend's attempts per second, every
 * chart with labelled axes and units, all as inline SVG — no scripts, no external fetches.
 * Stateless.
 */
final class HtmlReport {

  private static final String[] COLORS = {
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
      "#bcbd22", "#17becf", "#393b79", "#637939", "#843c39", "#7b4173"};

  private HtmlReport() {}

  /** The page for these scenarios and their results (in run order). */
  static String render(Map<Scenario, List<SimResult>> results, String subtitle) {
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>lb4j simulator report</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}")
        .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;")
        .append("text-align:right}th:first-child,td:first-child{text-align:left}")
        .append("svg{background:#fafafa;border:1px solid #ddd;margin:4px}.small{font-size:12px;color:#555}")
        .append(".answer{max-width:60em;background:#f3f6fb;border-left:3px solid #1f77b4;padding:4px 10px}")
        .append("</style></head><body><h1>lb4j simulator report</h1><p class=\"small\">").append(esc(subtitle))
        .append("</p>");
    for (Map.Entry<Scenario, List<SimResult>> e : results.entrySet()) {
      Scenario s = e.getKey();
      List<SimResult> rs = e.getValue();
      h.append("<h2>").append(esc(s.name())).append("</h2><p>").append(esc(s.description()))
          .append(String.format(Locale.ROOT, "; %d s simulated.</p>", s.durationSeconds()));
      table(h, rs);
      h.append("<p class=\"answer\"><b>Question:</b> ").append(esc(s.question())).append(" <b>Answer:</b> ")
          .append(esc(Findings.answer(s, rs))).append("</p>");
      cdf(h, rs);
      h.append("<p class=\"small\">Attempts per second per backend (backend 0 is the odd one where there "
          + "is one): ");
      for (int b = 0; b < s.backends().size(); b++) {
        h.append("<span style=\"color:").append(COLORS[b % COLORS.length]).append("\">&#9632; ").append(b)
            .append("</span> ");
      }
      h.append("</p><div>");
      for (SimResult r : rs) {
        if (r.skipped() == null) {
          load(h, r);
        }
      }
      h.append("</div>");
    }
    return h.append("</body></html>\n").toString();
  }

  private static void table(StringBuilder h, List<SimResult> rs) {
    h.append("<table><tr><th>policy</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>errors</th>")
        .append("<th>retries</th><th>ejections</th><th>max/mean</th>")
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
          esc(java.util.Arrays.toString(r.perBackend()))));
    }
    h.append("</table><p class=\"small\">errors: requests that failed after every attempt; max/mean: the busiest "
        + "backend's attempts over the mean; home: for hash policies, the share of attempts with keys other than the hot "
        + "key that went to the backend the key hashes to, and the share of those keys that went there more than "
        + "half the time.</p>");
  }

  private static void cdf(StringBuilder h, List<SimResult> rs) {
    int w = 560;
    int ht = 300;
    int left = 50;
    int bottom = 30;
    double max = 1;
    for (SimResult r : rs) {
      for (double v : r.cdf()) {
        max = Math.max(max, v);
      }
    }
    double lo = Math.log10(0.1);
    double hi = Math.ceil(Math.log10(max));
    h.append(String.format(Locale.ROOT, "<div><svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">",
        w + 210, ht + 20));
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" font-size=\"12\">latency CDF</text>", left));
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">"
        + "caller-seen latency (ms, log scale)</text>", (left + w) / 2, ht - bottom + 30));
    h.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 12 %d)\">fraction of requests at or below</text>", (ht - bottom) / 2 + 10,
        (ht - bottom) / 2 + 10));
    for (double d = Math.ceil(lo); d <= hi; d++) {
      double x = left + (d - lo) / (hi - lo) * (w - left);
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
          + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x, x, ht - bottom,
          x, ht - bottom + 14, fmt(Math.pow(10, d))));
    }
    for (int q = 0; q <= 4; q++) {
      double y = ht - bottom - q / 4.0 * (ht - bottom - 20);
      h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.2f</text>", left, y, w, y, left - 4,
          y + 3, q / 4.0));
    }
    int i = 0;
    for (SimResult r : rs) {
      if (r.skipped() != null || r.cdf().length == 0) {
        continue;
      }
      String color = COLORS[i % COLORS.length];
      h.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(color).append("\" points=\"");
      double[] c = r.cdf();
      for (int k = 0; k < c.length; k++) {
        double v = Math.log10(Math.max(0.1, c[k]));
        double x = left + (v - lo) / (hi - lo) * (w - left);
        double y = ht - bottom - (k + 1.0) / c.length * (ht - bottom - 20);
        h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      h.append("\"/>");
      h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"3\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", w + 10, 30 + 16 * i, color, w + 26, 34 + 16 * i,
          esc(r.policy())));
      i++;
    }
    h.append("</svg></div>");
  }

  private static void load(StringBuilder h, SimResult r) {
    int w = 300;
    int ht = 170;
    int left = 44;
    int right = 8;
    int top = 20;
    int bottom = 30;
    int[][] series = r.perSecond();
    int seconds = series.length == 0 ? 0 : series[0].length - 1; // last bucket: the drain after arrivals stop
    int max = 1;
    for (int[] s : series) {
      for (int k = 0; k < seconds; k++) {
        max = Math.max(max, s[k]);
      }
    }
    int plotW = w - left - right;
    int plotH = ht - top - bottom;
    h.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">"
        + "<text x=\"%d\" y=\"13\" font-size=\"11\">%s</text>", w, ht, left, esc(r.policy())));
    // y axis: attempts per second, ticks at 0, half and the maximum
    for (int q = 0; q <= 2; q++) {
      double y = top + plotH - q / 2.0 * plotH;
      h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">%d</text>", left, y, w - right, y,
          left - 3, y + 3, Math.round(max * q / 2.0)));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"9\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 9 %d)\">attempts/s</text>", top + plotH / 2, top + plotH / 2));
    // x axis: simulated seconds, ticks at 0, half and the end
    for (int q = 0; q <= 2; q++) {
      double x = left + q / 2.0 * plotW;
      h.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
          + "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%d</text>", x, top + plotH, x,
          top + plotH + 3, x, top + plotH + 12, Math.round(seconds * q / 2.0)));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">"
        + "simulated time (s)</text>", left + plotW / 2, ht - 4));
    for (int b = 0; b < series.length; b++) {
      h.append("<polyline fill=\"none\" stroke-width=\"1\" stroke=\"").append(COLORS[b % COLORS.length])
          .append("\" points=\"");
      for (int k = 0; k < seconds; k++) {
        double x = left + (double) k / Math.max(1, seconds - 1) * plotW;
        double y = top + plotH - (double) series[b][k] / max * plotH;
        h.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      h.append("\"/>");
    }
    h.append("</svg>");
  }

  private static String fmt(double v) {
    return v >= 1 ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
