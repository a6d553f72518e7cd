package io.lb4j.examples;

import java.io.File;
import java.io.IOException;
import java.net.BindException;
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
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A stand-in for your DNS: dnsmasq on 127.0.0.1 and a free port, answering only from a hosts file
 * and the SRV records it is started with (no upstream, nothing else on the machine is touched).
 * {@link #restart} changes the records the way a deployment would. Not thread-safe.
 */
final class LocalDns implements AutoCloseable {

  private final String binary;
  private final Path dir;
  private final int port;
  private Process process;

  private LocalDns(String binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
  }

  /** Where dnsmasq is installed, if it is. */
  static Optional<String> dnsmasq() {
    List<String> candidates = new ArrayList<>();
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      candidates.add(d + File.separator + "dnsmasq");
    }
    candidates.addAll(List.of("/usr/sbin/dnsmasq", "/sbin/dnsmasq"));
    return candidates.stream().filter(c -> new File(c).canExecute()).findFirst();
  }

  /**
   * Starts dnsmasq with these hosts-file lines (e.g. {@code "127.0.0.1 a.greeter.test"}) and
   * {@code --srv-host} values (e.g. {@code "_grpc._tcp.greeter.test,a.greeter.test,50051"}), and waits
   * until it answers.
   */
  static LocalDns start(String binary, String hosts, List<String> srvHosts) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("lb4j-example-dns");
    LocalDns dns = new LocalDns(binary, dir, freePort());
    Files.writeString(dir.resolve("hosts"), "127.0.0.99 ready.test\n" + hosts, StandardCharsets.UTF_8);
    dns.launch(srvHosts);
    return dns;
  }

  /** The address to send queries to. */
  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Stops dnsmasq and starts it again on the same port, serving these SRV records instead. */
  void restart(List<String> srvHosts) throws IOException, InterruptedException {
    stop();
    launch(srvHosts);
  }

  private void launch(List<String> srvHosts) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(binary, "--no-daemon", "--conf-file=/dev/null", "--pid-file=",
        "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
        "--addn-hosts=" + dir.resolve("hosts"), "--local=/test/", "--log-facility=-"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.add("--user=root"); // otherwise dnsmasq drops to nobody, who cannot read the temp dir
    }
    srvHosts.forEach(srv -> cmd.add("--srv-host=" + srv));
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dnsmasq.log").toFile())).start();
    SimpleResolver resolver = new SimpleResolver(address());
    resolver.setTimeout(Duration.ofMillis(200));
    Message query = Message.newQuery(Record.newRecord(Name.fromString("ready.test."), Type.A, DClass.IN));
    Check.eventually(Duration.ofSeconds(10), "dnsmasq answers on port " + port, () -> {
      Check.that(process.isAlive(), "dnsmasq keeps running; its log: " + dir.resolve("dnsmasq.log"));
      try {
        Message m = resolver.send(query);
        return m.getRcode() == Rcode.NOERROR && !m.getSection(Section.ANSWER).isEmpty();
      } catch (IOException notYet) {
        return false;
      }
    });
  }

  private void stop() throws InterruptedException {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      process = null;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // it was told to stop; just don't wait
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  /** A port free for UDP and TCP on 127.0.0.1. */
  private static int freePort() throws IOException {
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
          DatagramSocket udp = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress())) {
        return udp.getLocalPort();
      } catch (BindException udpTaken) {
        // that port's UDP side is in use; try another
      }
    }
    throw new IOException("no port free for both UDP and TCP on 127.0.0.1 after 20 attempts");
  }
}
