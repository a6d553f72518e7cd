package io.lb4j.policy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Round robin: the eligible endpoints in turn, one after the other, ignoring weights and load.
 *
 * <p>Each new picker starts at a random position, so many clients that rebuild their pickers at
 * the same moment (a deploy, a DNS change) do not all send their next request to the same
 * endpoint. The rotation is exact: over any {@code n} consecutive picks of one picker, each of the
 * {@code n} endpoints is picked once (across threads, picks are ordered by one atomic counter).
 *
 * <p>Cost: one atomic increment of a counter shared by all threads of the picker, one unsigned
 * remainder and one array read per pick; no allocation. Building is O(n).
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
    return new Rotation<>(views, ThreadLocalRandom.current().nextInt(views.length));
  }

  @Override
  public String toString() {
    return name();
  }

  /**
   * An exact rotation over a fixed array, shared by round robin and weighted round robin (which
   * rotates over a precomputed schedule). Lock-free: one {@code getAndAdd} per step.
   */
  static final class Rotation<T extends EndpointView> implements Picker {
    private static final VarHandle NEXT;

    static {
      try {
        NEXT = MethodHandles.lookup().findVarHandle(Rotation.class, "next", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final T[] slots;
    private final int mask; // slots.length - 1 when it is a power of two, else -1
    @SuppressWarnings("unused") // accessed through NEXT
    private volatile int next;

    Rotation(T[] slots, int start) {
      this.slots = slots;
      this.mask = Integer.bitCount(slots.length) == 1 ? slots.length - 1 : -1;
      this.next = start;
    }

    @Override
    public EndpointView pick(io.lb4j.PickContext ctx) {
      int i = (int) NEXT.getAndAdd(this, 1);
      // Past 2^32 picks the counter wraps; for a length that does not divide 2^32 that skips at
      // most one position once every four billion picks.
      return slots[mask >= 0 ? i & mask : Integer.remainderUnsigned(i, slots.length)];
    }
  }
}
