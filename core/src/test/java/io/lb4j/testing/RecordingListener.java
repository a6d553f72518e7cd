package io.lb4j.testing;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancerListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records listener callbacks as strings such as {@code "127.0.0.1:1 HEALTHY->EJECTED"} and {@code "panic true"}. */
public final class RecordingListener implements LoadBalancerListener {
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final List<String> reasons = new CopyOnWriteArrayList<>();

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

  public long count(String event) {
    return events.stream().filter(event::equals).count();
  }
}
