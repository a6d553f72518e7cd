package io.lb4j.testing;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/** Small policies for tests, independent of the real policies' progress. */
public final class TestPolicies {

  private TestPolicies() {}

  /** The hash policies every hash test covers, by name. */
  public static final List<String> HASH_POLICIES =
      List.of("maglev", "maglev_bounded", "ring_hash", "ring_hash_bounded", "stable_ring");

  /** A built-in hash policy by one of the {@link #HASH_POLICIES} names. */
  public static Policy hashPolicy(String name) {
    return switch (name) {
      case "maglev" -> io.lb4j.policy.Policies.maglev();
      case "maglev_bounded" -> io.lb4j.policy.Policies.maglev(65_537, 1.25);
      case "ring_hash" -> io.lb4j.policy.Policies.ringHash();
      case "ring_hash_bounded" -> io.lb4j.policy.Policies.ringHash(1024, 8_388_608, 1.25);
      case "stable_ring" -> io.lb4j.policy.Policies.stableRingHash();
      default -> throw new IllegalArgumentException("no hash policy named " + name);
    };
  }

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

  /**
   * Another policy, counting the pickers it builds (table builds, for Maglev and ring hash) and
   * keeping the views the last one was built over.
   */
  public static final class Counting implements Policy {
    private final Policy delegate;
    private final AtomicInteger builds = new AtomicInteger();
    private volatile List<EndpointView> lastViews = List.of();

    public Counting(Policy delegate) {
      this.delegate = delegate;
    }

    /** Pickers built so far. */
    public int builds() {
      return builds.get();
    }

    @Override
    public String name() {
      return delegate.name();
    }

    /** The eligible views of the last picker built, in order. */
    public List<EndpointView> lastViews() {
      return lastViews;
    }

    @Override
    public Picker newPicker(List<? extends EndpointView> eligible) {
      builds.incrementAndGet();
      lastViews = List.copyOf(eligible);
      return delegate.newPicker(eligible);
    }

    @Override
    public boolean usesHash() {
      return delegate.usesHash();
    }

    @Override
    public boolean usesEffectiveWeight() {
      return delegate.usesEffectiveWeight();
    }

    @Override
    public boolean usesLatency() {
      return delegate.usesLatency();
    }

    @Override
    public boolean skipsUnavailable() {
      return delegate.skipsUnavailable();
    }

    @Override
    public boolean usesWeights() {
      return delegate.usesWeights();
    }

    @Override
    public boolean usesTotalInFlight() {
      return delegate.usesTotalInFlight();
    }

    @Override
    public Picker newPicker(List<? extends EndpointView> eligible, LongSupplier totalInFlight) {
      builds.incrementAndGet();
      lastViews = List.copyOf(eligible);
      return delegate.newPicker(eligible, totalInFlight);
    }

    @Override
    public long peakEwmaDecayNanos() {
      return delegate.peakEwmaDecayNanos();
    }
  }
}
