package io.lb4j.discovery;

import io.lb4j.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Type;

/**
 * Resolves host names (a host, or the targets of SRV records) to addresses, each name on its own:
 * the A and AAAA queries of all names go out at once, and
 * <ul>
 *   <li>a name with addresses in either family is used, whatever the other family answered (a
 *       plain dnsmasq answers AAAA with REFUSED for a name it only has an IPv4 address for);
 *   <li>a name whose queries failed (timeout, SERVFAIL, REFUSED) and gave no address keeps the
 *       addresses it resolved to last time, if any, so that one flaky answer does not remove it;
 *   <li>a name that exists in no usable form (NXDOMAIN, no address records) is left out;
 *   <li>the whole resolution fails only when no name resolved and at least one failed.
 * </ul>
 * Runs on one source's resolver thread only; not thread-safe.
 */
final class DnsTargets {

  private static final Logger log = LoggerFactory.getLogger(DnsEndpointSource.class);

  /**
   * One name to resolve, and the port, weight and priority level ({@link Endpoint#priority()}) its
   * addresses get.
   */
  record Target(Name name, int port, int weight, int priority) {

    /** A target in priority level 0. */
    Target(Name name, int port, int weight) {
      this(name, port, weight, 0);
    }
  }

  private final Resolver resolver;
  private final Duration timeout;
  /** Each name's addresses at its last successful resolution. */
  private Map<Name, List<InetAddress>> lastGood = new HashMap<>();

  DnsTargets(Resolver resolver, Duration timeout) {
    this.resolver = resolver;
    this.timeout = timeout;
  }

  /**
   * Resolves the targets' names.
   *
   * @throws IOException if no name resolved and at least one failed; the message gives each
   *     failed query
   */
  DnsLookup.Answer resolve(List<Target> targets) throws IOException {
    Map<Name, CompletableFuture<DnsReply>> a = new LinkedHashMap<>();
    Map<Name, CompletableFuture<DnsReply>> aaaa = new LinkedHashMap<>();
    for (Target t : targets) {
      if (!a.containsKey(t.name())) {
        a.put(t.name(), DnsReply.ask(resolver, t.name(), Type.A, timeout));
        aaaa.put(t.name(), DnsReply.ask(resolver, t.name(), Type.AAAA, timeout));
      }
    }
    Map<Name, List<InetAddress>> addresses = new HashMap<>();
    List<String> failed = new ArrayList<>();
    List<String> unresolved = new ArrayList<>();
    long ttl = -1;
    int fresh = 0;
    for (Name name : a.keySet()) {
      DnsReply v4 = DnsReply.await(a.get(name));
      DnsReply v6 = DnsReply.await(aaaa.get(name));
      List<InetAddress> found = new ArrayList<>();
      addAddresses(v4, found);
      addAddresses(v6, found);
      if (!found.isEmpty()) {
        if (v4.failed() || v6.failed()) {
          log.debug("{} resolved through one family only: {}", name, v4.failed() ? v4.failure() : v6.failure());
        }
        fresh++;
        addresses.put(name, found);
        ttl = minTtl(ttl, minTtl(v4.minTtl(), v6.minTtl()));
      } else if (v4.failed() || v6.failed()) {
        List<InetAddress> kept = lastGood.get(name);
        String why = reasons(v4, v6);
        failed.add(why);
        if (kept != null) {
          addresses.put(name, kept);
          why += " (kept its last addresses " + kept.stream().map(InetAddress::getHostAddress).toList() + ")";
        }
        unresolved.add(why);
      }
      // Else NXDOMAIN or no address records in either family: the name is left out.
    }
    if (fresh == 0 && !failed.isEmpty()) {
      throw new IOException(String.join("; ", failed));
    }
    lastGood = addresses;
    List<Endpoint> out = new ArrayList<>();
    for (Target t : targets) {
      for (InetAddress address : addresses.getOrDefault(t.name(), List.of())) {
        out.add(new Endpoint(address.getHostAddress(), t.port(), t.weight(), "", Map.of()).withPriority(t.priority()));
      }
    }
    return new DnsLookup.Answer(out, ttl, unresolved);
  }

  private static void addAddresses(DnsReply reply, List<InetAddress> out) {
    for (Record r : reply.records()) {
      if (r instanceof ARecord ar) {
        out.add(ar.getAddress());
      } else if (r instanceof AAAARecord ar) {
        out.add(ar.getAddress());
      }
    }
  }

  private static String reasons(DnsReply v4, DnsReply v6) {
    if (v4.failed() && v6.failed()) {
      return v4.failure() + ", " + v6.failure();
    }
    return v4.failed() ? v4.failure() : v6.failure();
  }

  /** The smaller of two TTLs, where -1 means none. */
  static long minTtl(long x, long y) {
    if (x < 0) {
      return y;
    }
    return y < 0 ? x : Math.min(x, y);
  }
}
