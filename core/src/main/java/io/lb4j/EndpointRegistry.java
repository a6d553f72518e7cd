package io.lb4j;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Which endpoints a balancer has, and their states: the present ones by address in insertion
 * order, and the leaving ones (removed with requests still in flight). An update diffs the new list
 * against the present one by address: a state survives for an address that stays (its in-flight
 * count, latency, counters and verdicts), takes over a changed weight, zone or metadata, and comes
 * back from {@code leaving} if the address returns while requests are still in flight.
 *
 * <p>Mutations run under the balancer's lock; {@link #leaving} and {@link #released} are lock-free.
 */
final class EndpointRegistry {

  /** What the balancer does when an endpoint joins or leaves (metrics, outlier detection, probes). */
  interface Hooks {
    /** A new state for {@code e}, whose address string (made once per update) is {@code address}. */
    EndpointState create(String address, Endpoint e);

    void track(EndpointState s);

    void untrack(EndpointState s);
  }

  /**
   * What one update changed.
   *
   * @param first whether this was the first list
   * @param joined endpoints new to the list (including ones back from leaving), in list order
   * @param changed endpoints that stayed but got another weight, zone or metadata: pairs of before
   *     and after, in list order
   * @param left the states that left, already marked draining and removed
   */
  record Changes(boolean first, List<Endpoint> joined, List<Endpoint[]> changed, List<EndpointState> left) {}

  private LinkedHashMap<String, EndpointState> present = new LinkedHashMap<>();
  private final Map<String, EndpointState> leaving = new ConcurrentHashMap<>();
  /** Whether the first list has been applied; later joiners slow-start. */
  private boolean initialized;
  /** Bumped by every update, so a rebuild can tell whether the lists changed. */
  private long version;

  /**
   * Checks a new list: no null element, no duplicate address.
   *
   * @return the list by address, in order
   * @throws IllegalArgumentException naming the index (and address) of the first bad element
   */
  static LinkedHashMap<String, Endpoint> validate(Collection<Endpoint> endpoints) {
    if (endpoints == null) {
      throw new IllegalArgumentException("endpoints must not be null (use an empty list)");
    }
    LinkedHashMap<String, Endpoint> wanted = new LinkedHashMap<>(capacity(endpoints.size()));
    int i = 0;
    for (Endpoint e : endpoints) {
      if (e == null) {
        throw new IllegalArgumentException("endpoints must not contain null, index " + i);
      }
      if (wanted.putIfAbsent(e.address(), e) != null) {
        throw new IllegalArgumentException("duplicate endpoint address " + e.address() + " at index " + i);
      }
      i++;
    }
    return wanted;
  }

  /**
   * Whether {@code wanted} is the present list as it is (same endpoints, weights, zones, metadata,
   * same order), after a first list: then an update would change nothing.
   */
  boolean unchanged(LinkedHashMap<String, Endpoint> wanted) {
    if (!initialized || wanted.size() != present.size()) {
      return false;
    }
    Iterator<EndpointState> it = present.values().iterator();
    for (Endpoint e : wanted.values()) {
      if (!it.next().endpoint().equals(e)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Replaces the present list with {@code wanted} (from {@link #validate}).
   *
   * @return what changed
   */
  Changes update(LinkedHashMap<String, Endpoint> wanted, Hooks hooks) {
    boolean first = !initialized;
    List<Endpoint> joined = new ArrayList<>();
    List<Endpoint[]> changed = new ArrayList<>();
    LinkedHashMap<String, EndpointState> next = new LinkedHashMap<>(capacity(wanted.size()));
    // The address strings made once by validate(): building one costs more than the lookups.
    for (Map.Entry<String, Endpoint> entry : wanted.entrySet()) {
      String address = entry.getKey();
      Endpoint e = entry.getValue();
      EndpointState s = present.get(address);
      if (s != null && !s.endpoint().equals(e)) {
        changed.add(new Endpoint[] {s.endpoint(), e});
      }
      if (s == null) {
        joined.add(e);
        s = leaving.remove(address);
        if (s != null) {
          s.removed = false;
          s.draining = false;
          s.lastStatus = null;
          s.reportedStatus = null;
        } else {
          s = hooks.create(address, e);
        }
        s.rampPending = initialized;
        s.endpoint(e);
        hooks.track(s);
      }
      s.endpoint(e);
      next.put(address, s);
    }
    List<EndpointState> gone = new ArrayList<>();
    for (EndpointState old : present.values()) {
      if (!next.containsKey(old.address)) {
        old.draining = true;
        old.removed = true;
        old.pickable = false;
        hooks.untrack(old);
        if (old.inFlight() > 0) {
          leaving.put(old.address, old);
          released(old); // its last request may have ended just now
        } else {
          old.dropped();
        }
        gone.add(old);
      }
    }
    present = next;
    initialized = true;
    version++;
    return new Changes(first, joined, changed, gone);
  }

  /** The present states in insertion order; a live view, read under the balancer's lock. */
  Collection<EndpointState> present() {
    return present.values();
  }

  /** The present state for this address, or null; under the balancer's lock. */
  EndpointState get(String address) {
    return present.get(address);
  }

  /** A removed endpoint's state while its requests are in flight, or null. Lock-free. */
  EndpointState leaving(String address) {
    return leaving.get(address);
  }

  /**
   * After a release of a removed endpoint: forgets it once its last request ended (and gives its
   * counter cells back). Lock-free but for the rare hand-back.
   */
  void released(EndpointState s) {
    if (s.removed && s.inFlight() == 0 && leaving.remove(s.address, s)) {
      s.dropped();
    }
  }

  /** A hash map capacity that holds {@code n} entries without resizing. */
  static int capacity(int n) {
    return n + n / 3 + 1;
  }

  long version() {
    return version;
  }

  /** Applies {@code f} to each present state, for the snapshot's lookup tables. */
  <T> List<T> map(Function<EndpointState, T> f) {
    List<T> out = new ArrayList<>(present.size());
    for (EndpointState s : present.values()) {
      out.add(f.apply(s));
    }
    return out;
  }
}
