package io.lb4j;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A balancer's log lines and listener callbacks. Changes are logged as they are found (inside the
 * rebuild) and collected in a {@link Batch}; {@link #fire} tells the listeners once the balancer's
 * lock is released, so a listener may call back into the balancer.
 */
final class BalancerEvents {

  /** The logger of the balancer's own lines (status changes, panic, zones, the endpoint source). */
  static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

  private final String name;
  private final List<LoadBalancerListener> listeners;

  BalancerEvents(String name, List<LoadBalancerListener> listeners) {
    this.name = name;
    this.listeners = List.copyOf(listeners);
  }

  /** Events found by one change, to fire after the lock is released. */
  final class Batch {
    private final List<Consumer<LoadBalancerListener>> events = new ArrayList<>();

    void statusChange(EndpointState s, EndpointStatus from, EndpointStatus to, String reason) {
      statusChange(s, from, to, reason, false);
    }

    /** A status change; a {@code quiet} one (e.g. an endpoint's first connection) is logged at DEBUG. */
    void statusChange(EndpointState s, EndpointStatus from, EndpointStatus to, String reason, boolean quiet) {
      Endpoint e = s.endpoint();
      if (quiet) {
        log.debug("lb={} endpoint={} {} -> {}{}", name, s.address, from, to, reason.isEmpty() ? "" : ": " + reason);
      } else {
        log.info("lb={} endpoint={} {} -> {}{}", name, s.address, from, to, reason.isEmpty() ? "" : ": " + reason);
      }
      events.add(l -> l.onStatusChange(name, e, from, to, reason));
    }

    void panic(boolean panic, int eligible, int total, double threshold) {
      if (panic && total == 0) {
        log.warn("lb={} entering panic mode: every endpoint is known dead (failed its health checks or refused"
            + " every connection); picking among all of them, as the verdict may be wrong", name);
      } else if (panic) {
        log.warn("lb={} entering panic mode: {} of {} endpoints eligible, below threshold {}; picking among all"
            + " not known dead",
            name, eligible, total, threshold);
      } else {
        log.info("lb={} leaving panic mode: {} of {} endpoints eligible", name, eligible, total);
      }
      events.add(l -> l.onPanic(name, panic, eligible, total));
    }

    void zone(String zone, ZonePreference.Decision d, double threshold) {
      if (d.local()) {
        log.info("lb={} local zone {}: {} of {} endpoints eligible; routing to the local zone again",
            name, zone, d.eligible(), d.judged());
      } else {
        log.info("lb={} local zone {}: {} of {} endpoints eligible, below threshold {}; spilling over to all zones",
            name, zone, d.eligible(), d.judged(), threshold);
      }
      events.add(l -> l.onZoneSpillover(name, zone, !d.local(), d.eligible(), d.judged()));
    }

    /**
     * What a list update changed: one line per joiner (at DEBUG for the first list, which gets one
     * INFO line of its own), one per changed endpoint; leavers were told by their status change.
     */
    void changes(EndpointRegistry.Changes changes, int total) {
      if (changes.first()) {
        log.info("lb={} first endpoint list: {} endpoints", name, total);
      }
      for (Endpoint e : changes.joined()) {
        if (changes.first()) {
          log.debug("lb={} endpoint={} joined ({})", name, e.address(), describe(e));
        } else {
          log.info("lb={} endpoint={} joined ({})", name, e.address(), describe(e));
        }
        events.add(l -> l.onEndpointAdded(name, e));
      }
      for (Endpoint[] c : changes.changed()) {
        Endpoint from = c[0];
        Endpoint to = c[1];
        log.info("lb={} endpoint={} changed: {}", name, to.address(), difference(from, to));
        events.add(l -> l.onEndpointChanged(name, from, to));
      }
    }

    void removed(Endpoint e) {
      events.add(l -> l.onEndpointRemoved(name, e));
    }

    void endpointsUpdated(int total) {
      events.add(l -> l.onEndpointsUpdated(name, total));
    }

    void discoveryFailure(Throwable error, int consecutive) {
      events.add(l -> l.onDiscoveryFailure(name, error, consecutive));
    }

    void discoveryRecovery(int failures) {
      events.add(l -> l.onDiscoveryRecovery(name, failures));
    }
  }

  /** An endpoint's weight, zone and metadata, as a join line shows them. */
  static String describe(Endpoint e) {
    return "weight " + e.weight() + (e.zone().isEmpty() ? "" : ", zone " + e.zone())
        + (e.metadata().isEmpty() ? "" : ", metadata " + e.metadata());
  }

  /** What differs between two listings of one address, e.g. {@code "weight 10 -> 30, zone a -> b"}. */
  static String difference(Endpoint from, Endpoint to) {
    List<String> parts = new ArrayList<>(3);
    if (from.weight() != to.weight()) {
      parts.add("weight " + from.weight() + " -> " + to.weight());
    }
    if (!from.zone().equals(to.zone())) {
      parts.add("zone '" + from.zone() + "' -> '" + to.zone() + "'");
    }
    if (!from.metadata().equals(to.metadata())) {
      parts.add("metadata " + from.metadata() + " -> " + to.metadata());
    }
    return String.join(", ", parts);
  }

  Batch batch() {
    return new Batch();
  }

  /** Tells every listener about every event of the batch; a throwing listener is logged and skipped. */
  void fire(Batch batch) {
    if (batch == null || batch.events.isEmpty() || listeners.isEmpty()) {
      return;
    }
    for (Consumer<LoadBalancerListener> event : batch.events) {
      for (LoadBalancerListener l : listeners) {
        try {
          event.accept(l);
        } catch (RuntimeException e) {
          log.warn("lb={} listener {} threw; ignoring it", name, l, e);
        }
      }
    }
  }
}
