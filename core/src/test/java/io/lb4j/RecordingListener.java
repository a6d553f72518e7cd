package io.lb4j;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records listener callbacks as strings such as {@code "127.0.0.1:1 HEALTHY->EJECTED"} and {@code "panic true"}. */
final class RecordingListener implements LoadBalancerListener {
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<String> reasons = new CopyOnWriteArrayList<>();

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

  long count(String event) {
    return events.stream().filter(event::equals).count();
  }
}
