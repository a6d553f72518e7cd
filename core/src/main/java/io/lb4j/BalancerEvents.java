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
      Endpoint e = s.endpoint();
      log.info("lb={} endpoint={} {} -> {}{}", name, s.address, from, to, reason.isEmpty() ? "" : ": " + reason);
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
    }

    void endpointsUpdated(int total) {
      events.add(l -> l.onEndpointsUpdated(name, total));
    }
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
