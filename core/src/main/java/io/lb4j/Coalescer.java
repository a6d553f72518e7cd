package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Serialises and coalesces requests for one piece of work (Caffeine's drain-status pattern, as in
 * its {@code BoundedLocalCache}): {@link #request()} marks the work needed and, only if it was
 * idle, dispatches one run; requests that arrive while a run is queued are absorbed by it, and
 * those that arrive while it runs make it run once more. So a burst of ten ejections is one
 * rebuild, and no two runs overlap. {@code request} is lock-free and allocation-free.
 *
 * <pre>
 *   IDLE --request--> REQUIRED --run starts--> RUNNING --done--> IDLE
 *                                                 |  ^
 *                                        request  v  | run repeats
 *                                          RUNNING_REQUIRED
 * </pre>
 */
final class Coalescer {

  static final int IDLE = 0;
  static final int REQUIRED = 1;
  static final int RUNNING = 2;
  static final int RUNNING_REQUIRED = 3;

  private static final VarHandle STATUS;

  static {
    try {
      STATUS = MethodHandles.lookup().findVarHandle(Coalescer.class, "status", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Runnable work;
  private final Consumer<Runnable> dispatch;
  private final Runnable run = this::run;
  @SuppressWarnings("unused") // accessed through STATUS
  private volatile int status;

  /**
   * @param work what to run; it must read the state the requests changed only after it starts
   * @param dispatch hands a run to the thread that runs it (the balancer's scheduler, or the calling
   *     thread); may throw {@link RejectedExecutionException} once that is shut down
   */
  Coalescer(Runnable work, Consumer<Runnable> dispatch) {
    this.work = work;
    this.dispatch = dispatch;
  }

  /** Asks for one more run of the work that starts after this call. */
  void request() {
    while (true) {
      int s = status;
      switch (s) {
        case REQUIRED, RUNNING_REQUIRED -> {
          return;
        }
        case RUNNING -> {
          if (STATUS.compareAndSet(this, RUNNING, RUNNING_REQUIRED)) {
            return;
          }
        }
        default -> {
          if (STATUS.compareAndSet(this, IDLE, REQUIRED)) {
            try {
              dispatch.accept(run);
            } catch (RejectedExecutionException e) {
              status = IDLE; // shut down: nothing will run any more
            }
            return;
          }
        }
      }
    }
  }

  /** The status, for tests. */
  int status() {
    return status;
  }

  private void run() {
    status = RUNNING;
    try {
      do {
        work.run();
      } while (!STATUS.compareAndSet(this, RUNNING, IDLE) && again());
    } catch (RuntimeException | Error e) {
      status = IDLE; // the work must not throw; if it does, the next request starts afresh
      throw e;
    }
  }

  /** RUNNING_REQUIRED: someone asked during the run; run once more. */
  private boolean again() {
    status = RUNNING;
    return true;
  }
}
