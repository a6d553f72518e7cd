package io.lb4j.testing;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Small policies for tests, independent of the real policies' progress. */
public final class TestPolicies {

  private TestPolicies() {}

  /** Exact rotation starting at the first eligible endpoint; allocation-free picks. */
  public static Policy roundRobin() {
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
  public static final class Capturing implements Policy {
    public final List<List<String>> builds = new CopyOnWriteArrayList<>();
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

    public List<String> last() {
      return builds.get(builds.size() - 1);
    }
  }
}
