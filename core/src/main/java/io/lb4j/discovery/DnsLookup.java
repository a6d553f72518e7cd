package io.lb4j.discovery;

import io.lb4j.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One way of turning DNS answers into endpoints, run on {@link DnsEndpointSource}'s thread. An
 * empty result means the name exists in no usable form (NXDOMAIN, or no records of the type); a
 * failure (timeout, SERVFAIL, REFUSED, unreachable server) throws {@link IOException}.
 */
interface DnsLookup {

  /** Resolves now; blocks up to the query timeout per query. */
  List<Endpoint> resolve() throws IOException;

  /** A and AAAA records through the JDK resolver (the OS's: /etc/hosts, nsswitch, its cache). */
  static DnsLookup jdk(String host, int port) {
    return () -> {
      InetAddress[] all;
      try {
        all = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        // The JDK does not tell "no such name" from "no answer", so both count as a failure.
        throw new IOException("JDK resolver could not resolve " + host + ": " + e.getMessage(), e);
      }
      List<Endpoint> out = new ArrayList<>(all.length);
      for (InetAddress a : all) {
        out.add(endpoint(a, port, 1));
      }
      return out;
    };
  }

  /** A and AAAA records through a dnsjava resolver. */
  static DnsLookup addresses(Resolver resolver, Name name, int port) {
    return () -> {
      List<Endpoint> out = new ArrayList<>();
      for (InetAddress a : addressesOf(resolver, name)) {
        out.add(endpoint(a, port, 1));
      }
      return out;
    };
  }

  /**
   * SRV records: the records of the lowest priority value (RFC 2782: the others are backups, and
   * the balancer's own health handling takes their place), each target's port and weight (weight 0
   * becomes 1, the least an endpoint can have). With {@code resolveTargets}, each target becomes one
   * endpoint per A/AAAA address; otherwise the target name itself is the endpoint host.
   */
  static DnsLookup srv(Resolver resolver, Name name, boolean resolveTargets) {
    return () -> {
      List<SRVRecord> records = new ArrayList<>();
      int best = Integer.MAX_VALUE;
      for (Record r : query(resolver, name, Type.SRV)) {
        SRVRecord srv = (SRVRecord) r;
        // A target of "." says the service is decidedly not available at this name (RFC 2782).
        if (srv.getTarget().equals(Name.root) || srv.getPort() == 0) {
          continue;
        }
        records.add(srv);
        best = Math.min(best, srv.getPriority());
      }
      List<Endpoint> out = new ArrayList<>();
      for (SRVRecord srv : records) {
        if (srv.getPriority() != best) {
          continue;
        }
        int weight = Math.max(1, srv.getWeight());
        if (!resolveTargets) {
          String host = srv.getTarget().toString(true);
          out.add(new Endpoint(host, srv.getPort(), weight, "", Map.of()));
          continue;
        }
        for (InetAddress a : addressesOf(resolver, srv.getTarget())) {
          out.add(endpoint(a, srv.getPort(), weight));
        }
      }
      return out;
    };
  }

  private static List<InetAddress> addressesOf(Resolver resolver, Name name) throws IOException {
    List<InetAddress> out = new ArrayList<>();
    for (Record r : query(resolver, name, Type.A)) {
      out.add(((ARecord) r).getAddress());
    }
    for (Record r : query(resolver, name, Type.AAAA)) {
      out.add(((AAAARecord) r).getAddress());
    }
    return out;
  }

  /** The answer records of the type; NXDOMAIN is an empty answer, any other error code a failure. */
  private static List<Record> query(Resolver resolver, Name name, int type) throws IOException {
    Message response = resolver.send(Message.newQuery(Record.newRecord(name, type, DClass.IN)));
    int rcode = response.getRcode();
    if (rcode == Rcode.NXDOMAIN) {
      return List.of();
    }
    if (rcode != Rcode.NOERROR) {
      throw new IOException(Type.string(type) + " query for " + name + " answered " + Rcode.string(rcode));
    }
    List<Record> out = new ArrayList<>();
    // A CNAME chain arrives in the same answer; only the records of the asked type count.
    for (Record r : response.getSection(Section.ANSWER)) {
      if (r.getType() == type) {
        out.add(r);
      }
    }
    return out;
  }

  private static Endpoint endpoint(InetAddress address, int port, int weight) {
    return new Endpoint(address.getHostAddress(), port, weight, "", Map.of());
  }
}
