package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-thread pools of recycled {@link Selection} objects, so that pick + release allocate nothing
 * in steady state.
 *
 * <p>Each thread picks from its own pool; a selection goes back to the pool that made it, from
 * whichever thread releases it: onto the owner's plain list when the owner releases it, onto an
 * intrusive lock-free stack when another thread does (many pushers; the owner takes the whole
 * stack at once with one atomic swap, which rules out ABA without tags). A pool
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

  /**
   * One thread's free lists: a plain one that only the owning thread touches (selections released
   * on the thread that picked them, the common case, cost no atomic operation), and a lock-free
   * stack that other threads push released selections onto, which the owner takes whole when its
   * plain list runs dry.
   */
  static final class Stack {
    private static final VarHandle HEAD;

    static {
      try {
        HEAD = MethodHandles.lookup().findVarHandle(Stack.class, "head", PooledSelection.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Thread owner = Thread.currentThread(); // made by ThreadLocal.withInitial on the owner
    private PooledSelection local; // owner thread only
    @SuppressWarnings("unused") // accessed through HEAD
    private volatile PooledSelection head; // pushed by other threads
    private int created; // owner thread only

    /** Owner thread only. */
    PooledSelection pop(LoadBalancer lb) {
      PooledSelection s = local;
      if (s == null && head != null) {
        // Take everything other threads returned at once: no ABA, one atomic per batch.
        s = (PooledSelection) HEAD.getAndSet(this, (PooledSelection) null);
      }
      if (s != null) {
        local = s.next;
        s.next = null;
        return s;
      }
      if (created < MAX_POOLED) {
        created++;
        return new PooledSelection(lb, this);
      }
      return new PooledSelection(lb, null);
    }

    /** Any thread. */
    void push(PooledSelection s) {
      if (Thread.currentThread() == owner) {
        s.next = local;
        local = s;
        return;
      }
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
