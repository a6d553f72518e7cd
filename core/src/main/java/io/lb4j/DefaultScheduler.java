package io.lb4j;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scheduler a balancer owns when the builder was given none: one daemon timer thread
 * ({@code lb4j-<name>-1}) for the short tasks, and daemon threads made on demand
 * ({@code lb4j-<name>-probe-<n>}, idle ones end after 30 s) for work that may block, so a hung
 * health probe holds one of those and never the timer. {@link #shutdown(long)} stops both and waits
 * for their threads to end.
 */
final class DefaultScheduler implements Scheduler {

  private final ScheduledThreadPoolExecutor timer;
  private final ThreadPoolExecutor blocking;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();

  DefaultScheduler(String name) {
    String prefix = "lb4j-" + name + "-";
    timer = new ScheduledThreadPoolExecutor(1, factory(prefix, new AtomicInteger()));
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    blocking = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        factory(prefix + "probe-", new AtomicInteger()));
  }

  private ThreadFactory factory(String prefix, AtomicInteger n) {
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      threads.removeIf(old -> !old.isAlive());
      threads.add(t);
      return t;
    };
  }

  @Override
  public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
    return timer.schedule(task, delay, unit);
  }

  @Override
  public void execute(Runnable task) {
    blocking.execute(task);
  }

  /**
   * Stops both pools, interrupting what runs, and waits up to {@code millis} for their threads to
   * end (not for the calling thread, if it is one of them). A probe that ignores interrupts may
   * outlive the wait; its thread is a daemon.
   *
   * @return whether every thread ended in time
   */
  boolean shutdown(long millis) throws InterruptedException {
    timer.shutdownNow();
    blocking.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    Thread self = Thread.currentThread();
    for (Thread t : threads) {
      if (t != self) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return !t.isAlive();
        }
        t.join(left);
      }
    }
    for (Thread t : threads) {
      if (t != self && t.isAlive()) {
        return false;
      }
    }
    return true;
  }
}
