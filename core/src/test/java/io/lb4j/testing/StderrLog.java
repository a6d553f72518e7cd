package io.lb4j.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What the test logger (slf4j-simple, which looks System.err up on every line) prints while this
 * is open; the output still reaches the real System.err too. Tests run one at a time in a JVM.
 */
public final class StderrLog implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private StderrLog() {
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        original.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        original.write(b, off, len);
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Starts capturing. */
  public static StderrLog capture() {
    return new StderrLog();
  }

  /** Everything printed so far. */
  public String text() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  /** The lines printed so far at this level ({@code WARN}, {@code INFO}) that contain {@code part}. */
  public List<String> lines(String level, String part) {
    return text().lines().filter(l -> l.contains(" " + level + " ") && l.contains(part)).toList();
  }

  /** Restores System.err. */
  @Override
  public void close() {
    System.setErr(original);
  }
}
