package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Round robin: the eligible endpoints in turn, one after the other, ignoring weights and load.
 *
 * <p>Each thread walks the rotation with its own cursor, which starts at a random position for each
 * new picker, so many clients (or threads) that rebuild their pickers at the same moment (a
 * deploy, a DNS change) do not all send their next request to the same endpoint. The rotation is
 * exact per thread: over any {@code n} consecutive picks of one thread, each of the {@code n}
 * endpoints is picked once; across threads, the random starts spread the picks evenly. (A single
 * counter shared by all threads would order picks exactly across threads too, but every pick would
 * write one cache line that all cores write: 50 to 100 ns per pick on a many-core machine.)
 *
 * <p>Cost: one thread-local lookup, a compare and an array read per pick; no atomic, no write to
 * memory another thread writes, no allocation (each thread's cursor is made at its first pick of a
 * picker). Building is O(n).
 */
public final class RoundRobinPolicy implements WeightBlindPolicy {

  static final RoundRobinPolicy INSTANCE = new RoundRobinPolicy();

  private RoundRobinPolicy() {}

  @Override
  public String name() {
    return "round_robin";
  }

  /** {@code false}: ignores load. */
  @Override
  public boolean usesInFlight() {
    return false;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    return new Rotation<>(views);
  }

  @Override
  public String toString() {
    return name();
  }

  /**
   * An exact rotation over a fixed array, shared by round robin and weighted round robin (which
   * rotates over a precomputed schedule): one cursor per thread, starting at a random position.
   */
  static final class Rotation<T extends EndpointView> implements Picker {
    private final T[] slots;
    /** Each thread's next position: an int[1] allocated by, and written only by, that thread. */
    private final ThreadLocal<int[]> cursors;

    Rotation(T[] slots) {
      this.slots = slots;
      int n = slots.length;
      this.cursors = ThreadLocal.withInitial(() -> new int[] {ThreadLocalRandom.current().nextInt(n)});
    }

    @Override
    public EndpointView pick(io.lb4j.PickContext ctx) {
      int[] cursor = cursors.get();
      int i = cursor[0];
      cursor[0] = i + 1 == slots.length ? 0 : i + 1;
      return slots[i];
    }
  }
}
