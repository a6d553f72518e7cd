package io.lb4j.discovery;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * What one DNS query brought: the answer records of the asked type (none for NXDOMAIN or an
 * answer without such records), or why there is no usable answer ({@code failure}, e.g.
 * {@code "AAAA query answered REFUSED"}).
 *
 * @param records the answer records of the asked type; empty when failed
 * @param failure why the query failed, or null if it did not
 * @param cause the exception behind the failure, or null
 */
record DnsReply(List<Record> records, String failure, Throwable cause) {

  /** Whether the query failed (an error code other than NXDOMAIN, a timeout, an I/O error). */
  boolean failed() {
    return failure != null;
  }

  /** The smallest TTL of the records, in seconds, or -1 if there are none. */
  long minTtl() {
    long min = -1;
    for (Record r : records) {
      min = min < 0 ? r.getTTL() : Math.min(min, r.getTTL());
    }
    return min;
  }

  /**
   * Sends the query without blocking. The future always completes normally, by {@code timeout}
   * plus a second at the latest (dnsjava enforces the timeout itself; the extra bound only guards
   * against a reply that never comes back from the library).
   */
  static CompletableFuture<DnsReply> ask(Resolver resolver, Name name, int type, Duration timeout) {
    String what = Type.string(type) + " query for " + name;
    CompletableFuture<Message> sent;
    try {
      sent = resolver.sendAsync(Message.newQuery(Record.newRecord(name, type, DClass.IN))).toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(new DnsReply(List.of(), what + " could not be sent: " + describe(e, timeout), e));
    }
    return sent
        .handle((response, error) -> error != null
            ? new DnsReply(List.of(), what + " got no answer: " + describe(error, timeout), unwrap(error))
            : of(response, type, what))
        .completeOnTimeout(new DnsReply(List.of(), what + " got no answer within " + timeout.toMillis() + " ms", null),
            timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
  }

  /**
   * Waits for a reply from {@link #ask}; interruptible, so that closing the source stops a
   * resolution at once.
   */
  static DnsReply await(CompletableFuture<DnsReply> reply) throws InterruptedIOException {
    try {
      return reply.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a DNS answer");
    } catch (ExecutionException e) {
      // ask() never completes exceptionally; kept total for the compiler.
      return new DnsReply(List.of(), "no answer: " + e.getCause(), e.getCause());
    }
  }

  /** The reply in a response: NXDOMAIN is an empty answer, any error code other than NOERROR a failure. */
  private static DnsReply of(Message response, int type, String what) {
    int rcode = response.getRcode();
    if (rcode == Rcode.NXDOMAIN) {
      return new DnsReply(List.of(), null, null);
    }
    if (rcode != Rcode.NOERROR) {
      return new DnsReply(List.of(), what + " answered " + Rcode.string(rcode), null);
    }
    List<Record> out = new ArrayList<>();
    // A CNAME chain arrives in the same answer; only the records of the asked type count.
    for (Record r : response.getSection(Section.ANSWER)) {
      if (r.getType() == type) {
        out.add(r);
      }
    }
    return new DnsReply(List.copyOf(out), null, null);
  }

  /**
   * A short reason for a query that got no answer, never "null": the JDK says nothing in a
   * {@link PortUnreachableException}, and dnsjava's timeout message carries a query id.
   */
  static String describe(Throwable error, Duration timeout) {
    Throwable e = unwrap(error);
    if (e instanceof PortUnreachableException) {
      return "port unreachable (no DNS server listens there)";
    }
    if (e instanceof SocketTimeoutException || e instanceof TimeoutException
        || (e instanceof IOException && e.getCause() instanceof TimeoutException)) {
      return "timed out after " + timeout.toMillis() + " ms";
    }
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }

  private static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
