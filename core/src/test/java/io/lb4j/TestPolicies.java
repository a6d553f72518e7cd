package io.lb4j;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Small policies for tests, independent of the real policies' progress. */
final class TestPolicies {

  private TestPolicies() {}

  /** Exact rotation starting at the first eligible endpoint; allocation-free picks. */
  static Policy roundRobin() {
    return new Policy() {
      @Override
      public String name() {
        return "test-rr";
      }

      @Override
      public Picker newPicker(List<? extends EndpointView> eligible) {
        EndpointView[] views = eligible.toArray(new EndpointView[0]);
        AtomicInteger next = new AtomicInteger();
        return ctx -> views[Math.floorMod(next.getAndIncrement(), views.length)];
      }
    };
  }

  /** Round robin that also records, per picker built, each eligible endpoint's effective weight. */
  static final class Capturing implements Policy {
    final List<List<String>> builds = new CopyOnWriteArrayList<>();
    private final Policy delegate = roundRobin();

    @Override
    public String name() {
      return "capturing";
    }

    @Override
    public Picker newPicker(List<? extends EndpointView> eligible) {
      List<String> weights = new ArrayList<>();
      for (EndpointView v : eligible) {
        weights.add(v.endpoint().address() + "=" + v.effectiveWeight());
      }
      builds.add(weights);
      return delegate.newPicker(eligible);
    }

    List<String> last() {
      return builds.get(builds.size() - 1);
    }
  }
}
