package io.lb4j;

import java.util.List;
import org.slf4j.Logger;

/**
 * A balancer's {@link EndpointSource}, if it has one: starts it, applies its lists, and remembers
 * its last error, so that a pick on an empty list names the source and why it failed. The source
 * itself logs the WARN line of a failure streak (the {@code EndpointSource} contract); the balancer
 * adds one INFO line per streak, saying what it keeps (no stack trace; each failure at DEBUG with its
 * trace), and one INFO line when the source recovers.
 */
final class SourceState {

  private static final Logger log = BalancerEvents.log;

  private final BalancerCore core;
  private final EndpointSource source;
  private final Object lock = new Object();
  /** The error of the failure streak in progress, or null. */
  private volatile Throwable error;
  /** Failures in the streak in progress. Guarded by {@link #lock}. */
  private int failures;

  SourceState(BalancerCore core, EndpointSource source) {
    this.core = core;
    this.source = source;
  }

  /** Starts the source (once, from {@code build()}); its first list may arrive before this returns. */
  void start() {
    if (source != null) {
      source.start(this::onUpdate, this::onError);
    }
  }

  private void onUpdate(List<Endpoint> endpoints) {
    int streak;
    synchronized (lock) {
      streak = failures;
      failures = 0;
      error = null;
    }
    if (streak > 0) {
      log.info("lb={} endpoint source {} recovered after {} failed refresh(es)", core.name, source, streak);
    }
    core.update(endpoints);
  }

  private void onError(Throwable e) {
    boolean first;
    synchronized (lock) {
      first = failures++ == 0;
      error = e;
    }
    if (first) {
      log.info("lb={} endpoint source {} failed: {}; keeping the last good list of {} endpoints"
          + " (once per failure streak; each failure at DEBUG)", core.name, source, describe(e),
          core.snapshot.endpoints().size());
    }
    log.debug("lb={} endpoint source {} failed", core.name, source, e);
    if (core.snapshot.endpoints().isEmpty()) {
      core.refresh(); // the empty-list message now names the failure
    }
  }

  /** Why the list is empty, for the pick error: the source, and its last error if it is failing. */
  String emptyReason() {
    if (source == null) {
      return null;
    }
    Throwable e = error;
    return "endpoint source " + source + (e == null ? " has delivered no endpoints" : " failed: " + describe(e));
  }

  /** Closes the source; a failure is logged. */
  void close() {
    if (source == null) {
      return;
    }
    try {
      source.close();
    } catch (RuntimeException e) {
      log.warn("lb={} endpoint source {} failed to close", core.name, source, e);
    }
  }

  /** A throwable in one line: its class and message, and those of its root cause when different. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String s = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    return root == e ? s : s + " (caused by " + root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
  }
}
