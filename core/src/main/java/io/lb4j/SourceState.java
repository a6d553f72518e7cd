package io.lb4j;

import java.util.List;
import org.slf4j.Logger;

/**
 * A balancer's {@link EndpointSource}, if it has one: starts it, applies its lists, and remembers
 * its last error, so that a pick on an empty list names the source and why it failed. The source
 * itself logs the WARN line of a failure streak (the {@code EndpointSource} contract); the balancer
 * adds one INFO line per streak, saying what it keeps (no stack trace; each failure at DEBUG with its
 * trace), and one INFO line when the source recovers. It also keeps what the discovery meters read
 * (failed refreshes, staleness, the size of the last list) and tells the listeners of each failure
 * and of the recovery.
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
  /** Failed refreshes since start, for the failures counter. Written under {@link #lock}. */
  private volatile long failedRefreshes;
  /** Size of the last list delivered. */
  private volatile int delivered;
  /**
   * Since when the list has been unconfirmed: the ticker time of {@link #start()} until the first
   * list, then of the first failure of the streak in progress.
   */
  private volatile long staleSinceNanos;
  /** Whether the source's last word was a list (not an error, and not silence since start). */
  private volatile boolean fresh;
  /** Whether the source ever delivered a list. Guarded by {@link #lock}. */
  private boolean everDelivered;

  SourceState(BalancerCore core, EndpointSource source) {
    this.core = core;
    this.source = source;
    this.staleSinceNanos = core.ticker.read();
  }

  /** Whether the balancer has a source (its discovery meters exist only then). */
  boolean present() {
    return source != null;
  }

  /** Starts the source (once, from {@code build()}); its first list may arrive before this returns. */
  void start() {
    if (source != null) {
      staleSinceNanos = core.ticker.read();
      source.start(this::onUpdate, this::onError);
    }
  }

  private void onUpdate(List<Endpoint> endpoints) {
    int streak;
    synchronized (lock) {
      streak = failures;
      failures = 0;
      error = null;
      delivered = endpoints == null ? 0 : endpoints.size(); // null: update() says what is wrong
      everDelivered = true;
      fresh = true;
    }
    if (streak > 0) {
      log.info("lb={} endpoint source {} recovered after {} failed refresh(es)", core.name, source, streak);
      BalancerEvents.Batch batch = core.events.batch();
      batch.discoveryRecovery(streak);
      core.events.fire(batch);
    }
    core.update(endpoints);
    if (streak > 0 && core.snapshot.endpoints().isEmpty()) {
      core.refresh(); // an unchanged empty list is a no-op: the empty-list message must drop the error
    }
  }

  private void onError(Throwable e) {
    boolean first;
    int streak;
    synchronized (lock) {
      streak = ++failures;
      first = streak == 1;
      error = e;
      failedRefreshes++;
      if (first && everDelivered) {
        staleSinceNanos = core.ticker.read();
      }
      fresh = false;
    }
    if (first) {
      log.info("lb={} endpoint source {} failed: {}; keeping the last good list of {} endpoints"
          + " (once per failure streak; each failure at DEBUG)", core.name, source, describe(e),
          core.snapshot.endpoints().size());
    }
    log.debug("lb={} endpoint source {} failed", core.name, source, e);
    BalancerEvents.Batch batch = core.events.batch();
    batch.discoveryFailure(e, streak);
    core.events.fire(batch);
    if (core.snapshot.endpoints().isEmpty()) {
      core.refresh(); // the empty-list message now names the failure
    }
  }

  /** Failed refreshes since the source started. */
  long failedRefreshes() {
    return failedRefreshes;
  }

  /** The number of endpoints in the last list the source delivered (0 before the first). */
  int delivered() {
    return delivered;
  }

  /**
   * How long the balancer's list has gone unconfirmed, in seconds: 0 while the source's last word
   * was a list (a watching source such as ZooKeeper sends nothing while nothing changes, and is
   * fresh all the same), else the time since the failure streak began (since the source started,
   * if it never delivered a list). A polling source's list was up to one refresh interval older
   * when the streak began.
   */
  double stalenessSeconds() {
    if (fresh) {
      return 0;
    }
    return Math.max(0, core.ticker.read() - staleSinceNanos) / 1e9;
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
