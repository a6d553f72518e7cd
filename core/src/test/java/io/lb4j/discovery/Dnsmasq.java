package io.lb4j.discovery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq on 127.0.0.1 and a free high port, answering only from a hosts file and the
 * {@code --srv-host} lines the test gives it, with no upstream. {@link Setup#AUTHORITATIVE} adds
 * {@code local=/test/} (unknown names and missing families there get NXDOMAIN or an empty answer);
 * {@link Setup#PLAIN} is the setup a user writes first ({@code no-resolv}, {@code addn-hosts},
 * {@code srv-host}, no {@code local=}), where both are answered REFUSED. CI installs dnsmasq
 * ({@code apt-get install -y dnsmasq}); a developer machine without it skips, while {@code CI=true}
 * turns the skip into a failure.
 */
final class Dnsmasq implements AutoCloseable {

  /**
   * How dnsmasq is set up.
   *
   * @param authoritative whether it is told {@code local=/test/}
   * @param ttlSeconds the TTL of its answers ({@code local-ttl}; dnsmasq's default is 0)
   */
  record Setup(boolean authoritative, int ttlSeconds) {
    /** Authoritative for {@code .test}, TTL 0. */
    static final Setup AUTHORITATIVE = new Setup(true, 0);
    /** No {@code local=}: unknown names and the AAAA of IPv4-only names answer REFUSED; TTL 0. */
    static final Setup PLAIN = new Setup(false, 0);

    /** The same setup with answers carrying this TTL. */
    Setup ttl(int seconds) {
      return new Setup(authoritative, seconds);
    }
  }

  /** A name always present, for the readiness check. */
  private static final String READY = "127.0.0.99 ready.test\n";

  private final Path dir;
  private final Path hostsFile;
  private final Setup setup;
  private final int port;
  private List<String> srvHosts;
  private Process process;
  private int reloads;

  private Dnsmasq(Path dir, Setup setup, int port) {
    this.dir = dir;
    this.setup = setup;
    this.hostsFile = dir.resolve("hosts");
    this.port = port;
  }

  /** Skips the test when dnsmasq is missing, except in CI (env CI=true), where it fails. */
  static String binaryOrSkip() {
    for (String candidate : candidates()) {
      File f = new File(candidate);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    String why = "dnsmasq is not installed (apt-get install -y dnsmasq)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(why + "; CI must install it");
    }
    Assumptions.abort(why);
    return null;
  }

  private static List<String> candidates() {
    List<String> out = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        out.add(dir + File.separator + "dnsmasq");
      }
    }
    out.add("/usr/sbin/dnsmasq");
    out.add("/sbin/dnsmasq");
    return out;
  }

  /** Starts an authoritative dnsmasq serving these hosts-file lines and {@code --srv-host} values. */
  static Dnsmasq start(Path dir, String hosts, String... srvHosts) {
    return start(dir, Setup.AUTHORITATIVE, hosts, srvHosts);
  }

  /** Starts dnsmasq set up so, serving these hosts-file lines and {@code --srv-host} values. */
  static Dnsmasq start(Path dir, Setup setup, String hosts, String... srvHosts) {
    String binary = binaryOrSkip();
    Dnsmasq d = new Dnsmasq(dir, setup, freePort());
    d.writeHosts(hosts);
    d.srvHosts = List.of(srvHosts);
    d.launch(binary);
    return d;
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  int port() {
    return port;
  }

  /** Rewrites the hosts file and makes dnsmasq re-read it (SIGHUP), waiting until it serves the new one. */
  void hosts(String hosts) {
    String marker = "reload" + (++reloads) + ".test";
    writeHosts(hosts + "127.0.0.98 " + marker + "\n");
    try {
      Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        fail("kill -HUP " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    }
    awaitAnswer(marker);
  }

  private void writeHosts(String hosts) {
    try {
      Files.writeString(hostsFile, READY + hosts, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops dnsmasq and starts it again on the same port with other SRV records. */
  void restart(String... srvHosts) {
    stop();
    this.srvHosts = List.of(srvHosts);
    launch(binaryOrSkip());
  }

  private void launch(String binary) {
    List<String> cmd = new ArrayList<>(List.of(binary,
        "--no-daemon", "--conf-file=/dev/null", "--pid-file=",
        "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--no-resolv", "--no-hosts", "--addn-hosts=" + hostsFile,
        "--no-negcache", "--local-ttl=" + setup.ttlSeconds(), "--log-facility=-"));
    if (setup.authoritative()) {
      cmd.add("--local=/test/");
    }
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.add("--user=root"); // otherwise dnsmasq drops to nobody, who cannot read the test's temp dir
    }
    for (String srv : srvHosts) {
      cmd.add("--srv-host=" + srv);
    }
    try {
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dnsmasq.log").toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitAnswer("ready.test");
  }

  /** Waits (bounded) until dnsmasq answers the name with an address. */
  private void awaitAnswer(String name) {
    SimpleResolver r = new SimpleResolver(address());
    r.setTimeout(Duration.ofMillis(200));
    await("dnsmasq on port " + port + " answers " + name).atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions()
        .until(() -> {
          if (!process.isAlive()) {
            fail("dnsmasq exited with " + process.exitValue() + ": " + log());
          }
          Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), Type.A, DClass.IN)));
          return m.getRcode() == Rcode.NOERROR && !m.getSection(Section.ANSWER).isEmpty();
        });
  }

  String log() {
    try {
      return Files.readString(dir.resolve("dnsmasq.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  @Override
  public void close() {
    stop();
  }

  /** A port free for both UDP and TCP on 127.0.0.1, above 10000. */
  private static int freePort() {
    InetAddress lo = InetAddress.getLoopbackAddress();
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket tcp = new ServerSocket(0, 1, lo)) {
        int p = tcp.getLocalPort();
        if (p < 10000) {
          continue;
        }
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, p))) {
          return udp.getLocalPort();
        } catch (IOException busy) {
          // UDP side taken; try another
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no free port for dnsmasq after 20 attempts");
  }
}
