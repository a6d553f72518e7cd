package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-thread pools of recycled {@link Selection} objects, so that pick + release allocate nothing
 * in steady state.
 *
 * <p>Each thread picks from its own pool; a selection goes back to the pool that made it, from
 * whichever thread releases it. The free list is an intrusive Treiber stack with many pushers
 * (releasing threads) and one popper (the owning thread), which rules out ABA without tags. A pool
 * makes at most {@link #MAX_POOLED} selections; past that (a thread holding hundreds of
 * unreleased selections) picks fall back to plain, unpooled objects.
 */
final class SelectionPool {

  static final int MAX_POOLED = 256;

  private final LoadBalancer owner;
  private final ThreadLocal<Stack> stacks = ThreadLocal.withInitial(Stack::new);

  SelectionPool(LoadBalancer owner) {
    this.owner = owner;
  }

  Selection acquire(EndpointState state) {
    return stacks.get().pop(owner).arm(state);
  }

  /** One thread's free list. */
  static final class Stack {
    private static final VarHandle HEAD;

    static {
      try {
        HEAD = MethodHandles.lookup().findVarHandle(Stack.class, "head", PooledSelection.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // accessed through HEAD
    private volatile PooledSelection head;
    private int created; // touched only by the owning thread

    /** Owner thread only. */
    PooledSelection pop(LoadBalancer lb) {
      while (true) {
        PooledSelection h = head;
        if (h == null) {
          if (created < MAX_POOLED) {
            created++;
            return new PooledSelection(lb, this);
          }
          return new PooledSelection(lb, null);
        }
        // h.next is stable while h is on the stack: only the thread that pushes h writes it.
        if (HEAD.compareAndSet(this, h, h.next)) {
          h.next = null;
          return h;
        }
      }
    }

    /** Any thread. */
    void push(PooledSelection s) {
      while (true) {
        PooledSelection h = head;
        s.next = h;
        if (HEAD.compareAndSet(this, h, s)) {
          return;
        }
      }
    }
  }
}
