package io.lb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs every example's {@code main} as the README says, in a JVM of its own ({@code java -cp
 * target/classes:<target/classpath.txt>}), so that an example counts as working only if it exits 0
 * by itself within 90 s: a failed claim, a lingering non-daemon thread or a hang all fail here.
 */
class ExamplesTest {

  private static final Path CLASSES = Path.of("target", "classes");
  private static final Path CLASSPATH_FILE = Path.of("target", "classpath.txt");

  @ParameterizedTest
  @ValueSource(strings = {"OkHttpExample", "RetrofitExample", "GrpcStaticExample", "GrpcDnsExample",
      "GrpcZooKeeperExample", "StickySessionsExample", "PrometheusMetricsExample"})
  void exampleExitsZero(String example, @TempDir Path dir) throws IOException, InterruptedException {
    String classpath = CLASSES.toAbsolutePath() + File.pathSeparator
        + Files.readString(CLASSPATH_FILE, StandardCharsets.UTF_8).trim();
    Path output = dir.resolve("output.txt");
    Process process = new ProcessBuilder(
        List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
            "io.lb4j.examples." + example))
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    boolean exited = process.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String printed = Files.readString(output, StandardCharsets.UTF_8);
    System.out.println("== " + example + "\n" + printed); // kept in target/surefire-reports
    assertTrue(exited, example + " did not exit within 90 s; it printed:\n" + printed);
    assertEquals(0, process.exitValue(), example + " failed; it printed:\n" + printed);
    assertFalse(printed.isBlank(), example + " printed nothing");
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      assertFalse(printed.contains("skipped"), example + " must run in CI (is dnsmasq installed?):\n" + printed);
    }
  }
}
