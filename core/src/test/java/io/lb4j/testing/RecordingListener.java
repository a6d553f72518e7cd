package io.lb4j.testing;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancerListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records listener callbacks as strings: status changes and panic in {@link #events} (such as
 * {@code "127.0.0.1:1 HEALTHY->EJECTED"} and {@code "panic true"}); list changes, zone spill-over and
 * discovery health in {@link #changes} (such as {@code "added 127.0.0.1:1 w=1 zone="},
 * {@code "changed 127.0.0.1:1 w=1->3 zone=->b"}, {@code "removed 127.0.0.1:1"}, {@code "updated 2"},
 * {@code "spillover eu-1a true 1/4"}, {@code "discovery failure 2"}, {@code "discovery recovery 2"}).
 */
public final class RecordingListener implements LoadBalancerListener {
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final List<String> reasons = new CopyOnWriteArrayList<>();
  public final List<String> changes = new CopyOnWriteArrayList<>();
  /** The errors passed to {@link #onDiscoveryFailure}, in order. */
  public final List<Throwable> discoveryErrors = new CopyOnWriteArrayList<>();

  @Override
  public void onStatusChange(String lb, Endpoint endpoint, EndpointStatus from, EndpointStatus to, String reason) {
    events.add(endpoint.address() + " " + from + "->" + to);
    reasons.add(reason);
  }

  @Override
  public void onPanic(String lb, boolean panic, int eligible, int total) {
    events.add("panic " + panic);
    reasons.add("");
  }

  @Override
  public void onEndpointsUpdated(String lb, int total) {
    changes.add("updated " + total);
  }

  @Override
  public void onEndpointAdded(String lb, Endpoint e) {
    changes.add("added " + e.address() + " w=" + e.weight() + " zone=" + e.zone());
  }

  @Override
  public void onEndpointChanged(String lb, Endpoint from, Endpoint to) {
    changes.add("changed " + to.address() + " w=" + from.weight() + "->" + to.weight() + " zone=" + from.zone() + "->"
        + to.zone() + (from.metadata().equals(to.metadata()) ? "" : " metadata=" + to.metadata()));
  }

  @Override
  public void onEndpointRemoved(String lb, Endpoint e) {
    changes.add("removed " + e.address());
  }

  @Override
  public void onZoneSpillover(String lb, String zone, boolean spilling, int eligible, int total) {
    changes.add("spillover " + zone + " " + spilling + " " + eligible + "/" + total);
  }

  @Override
  public void onDiscoveryFailure(String lb, Throwable error, int consecutiveFailures) {
    changes.add("discovery failure " + consecutiveFailures);
    discoveryErrors.add(error);
  }

  @Override
  public void onDiscoveryRecovery(String lb, int failedRefreshes) {
    changes.add("discovery recovery " + failedRefreshes);
  }

  public long count(String event) {
    return events.stream().filter(event::equals).count();
  }
}
