package io.lb4j.discovery;

import io.lb4j.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * One way of turning DNS answers into endpoints, run on {@link DnsEndpointSource}'s thread. An
 * empty answer means the name exists in no usable form (NXDOMAIN, or no records of the type); a
 * failure throws {@link IOException} whose message is the reason alone (e.g. {@code "SRV query for
 * _http._tcp.svc.test. answered SERVFAIL"}): the source adds its name, the name and the server.
 */
interface DnsLookup {

  /**
   * What one resolution found.
   *
   * @param endpoints the endpoints, unsorted, possibly with an address twice
   * @param ttlSeconds the smallest TTL of the records used, or -1 if unknown (the JDK resolver, an
   *     IP literal) or there were none
   * @param unresolved the names that did not resolve this time although the resolution as a whole
   *     succeeded, each with its reasons (e.g. an SRV target whose A and AAAA queries both failed)
   */
  record Answer(List<Endpoint> endpoints, long ttlSeconds, List<String> unresolved) {}

  /** Resolves now; blocks at most about {@link #rounds()} query timeouts. */
  Answer resolve() throws IOException;

  /** Where the queries go, for messages: e.g. {@code "DNS server 127.0.0.1:53"}. */
  String server();

  /** How many query timeouts one resolution may take in the worst case: 2 for SRV with targets. */
  default int rounds() {
    return 1;
  }

  /** An IP literal: itself, with no query. */
  static DnsLookup literal(Endpoint endpoint) {
    Answer answer = new Answer(List.of(endpoint), -1, List.of());
    return new DnsLookup() {
      @Override
      public Answer resolve() {
        return answer;
      }

      @Override
      public String server() {
        return "no server (an IP literal)";
      }
    };
  }

  /** A and AAAA records through the JDK resolver (the OS's: /etc/hosts, nsswitch, its cache). */
  static DnsLookup jdk(String host, int port) {
    return new DnsLookup() {
      @Override
      public Answer resolve() throws IOException {
        InetAddress[] all;
        try {
          all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
          // The JDK does not tell "no such name" from "no answer", so both count as a failure.
          throw new IOException("no address for " + host + (e.getMessage() == null || e.getMessage().equals(host)
              ? "" : " (" + e.getMessage() + ")"), e);
        }
        List<Endpoint> out = new ArrayList<>(all.length);
        for (InetAddress a : all) {
          out.add(new Endpoint(a.getHostAddress(), port, 1, "", Map.of()));
        }
        return new Answer(out, -1, List.of());
      }

      @Override
      public String server() {
        return "the JDK resolver (/etc/hosts and the system's DNS)";
      }
    };
  }

  /** A and AAAA records of one name through a dnsjava resolver, each family on its own. */
  static DnsLookup addresses(Resolver resolver, Duration timeout, Name name, int port) {
    DnsTargets targets = new DnsTargets(resolver, timeout);
    List<DnsTargets.Target> one = List.of(new DnsTargets.Target(name, port, 1));
    String server = describe(resolver);
    return new DnsLookup() {
      @Override
      public Answer resolve() throws IOException {
        return targets.resolve(one);
      }

      @Override
      public String server() {
        return server;
      }
    };
  }

  /**
   * SRV records: every usable record, each target's port, weight (0 becomes 1, the least an
   * endpoint can have) and priority, which becomes the endpoint's priority level
   * ({@link Endpoint#priority()}): RFC 2782's backups are the balancer's fail-over levels, taking
   * traffic as the lower values lose health. With {@code resolveTargets}, each target becomes one
   * endpoint per A/AAAA address, each target resolved on its own ({@link DnsTargets}); otherwise the
   * target name itself is the endpoint host.
   */
  static DnsLookup srv(Resolver resolver, Duration timeout, Name name, boolean resolveTargets) {
    DnsTargets targets = new DnsTargets(resolver, timeout);
    String server = describe(resolver);
    return new DnsLookup() {
      @Override
      public Answer resolve() throws IOException {
        DnsReply reply = DnsReply.await(DnsReply.ask(resolver, name, Type.SRV, timeout));
        if (reply.failed()) {
          throw new IOException(reply.failure(), reply.cause());
        }
        List<DnsTargets.Target> chosen = usable(reply.records());
        if (!resolveTargets) {
          List<Endpoint> out = new ArrayList<>();
          for (DnsTargets.Target t : chosen) {
            out.add(new Endpoint(t.name().toString(true), t.port(), t.weight(), "", Map.of()).withPriority(t.priority()));
          }
          return new Answer(out, reply.minTtl(), List.of());
        }
        if (chosen.isEmpty()) {
          return new Answer(List.of(), reply.minTtl(), List.of());
        }
        Answer resolved;
        try {
          resolved = targets.resolve(chosen);
        } catch (IOException e) {
          throw new IOException("no SRV target of " + name + " resolved: " + e.getMessage(), e);
        }
        return new Answer(resolved.endpoints(), DnsTargets.minTtl(reply.minTtl(), resolved.ttlSeconds()),
            resolved.unresolved());
      }

      @Override
      public String server() {
        return server;
      }

      @Override
      public int rounds() {
        return resolveTargets ? 2 : 1;
      }
    };
  }

  /** The records with a target and a port, lowest priority value first (then in answer order). */
  private static List<DnsTargets.Target> usable(List<Record> records) {
    List<DnsTargets.Target> out = new ArrayList<>();
    for (Record r : records) {
      SRVRecord srv = (SRVRecord) r;
      // A target of "." says the service is decidedly not available at this name (RFC 2782).
      if (srv.getTarget().equals(Name.root) || srv.getPort() == 0) {
        continue;
      }
      out.add(new DnsTargets.Target(srv.getTarget(), srv.getPort(), Math.max(1, srv.getWeight()), srv.getPriority()));
    }
    out.sort(java.util.Comparator.comparingInt(DnsTargets.Target::priority));
    return out;
  }

  /** "DNS server 127.0.0.1:53", or the list an {@link ExtendedResolver} read from the system. */
  private static String describe(Resolver resolver) {
    if (resolver instanceof SimpleResolver simple) {
      return "DNS server " + hostPort(simple.getAddress());
    }
    if (resolver instanceof ExtendedResolver extended) {
      String all = Stream.of(extended.getResolvers())
          .map(r -> r instanceof SimpleResolver s ? hostPort(s.getAddress()) : r.toString())
          .collect(Collectors.joining(", "));
      return "the system's DNS servers [" + all + "]";
    }
    return "DNS resolver " + resolver;
  }

  private static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
