package io.lb4j.testing;

import io.lb4j.Scheduler;
import io.lb4j.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * The one fake time source of lb4j's tests and simulator: a {@link Ticker} that moves only when told
 * to, and a {@link Scheduler} whose tasks run on the thread that moves it, in due order (ties in the
 * order they were scheduled). Give the same instance to {@code LoadBalancer.Builder.ticker} and
 * {@code .scheduler}; {@link #forward} then runs the balancer's sweeps, probe rounds, probe
 * timeouts and rebuilds exactly when they fall due, and {@link #runDue()} runs what is due now (a
 * rebuild a release asked for, say). {@link Scheduler#execute} tasks run at once on the calling
 * thread. {@link #asClock()} is a {@code java.time.Clock} view for APIs that take one.
 *
 * <p>Thread-safe: tasks may be scheduled from any thread; they run only inside {@code forward} and
 * {@code runDue}. A task that throws fails the {@code forward}/{@code runDue} call that ran it. Loops
 * are bounded: a run that executes more than {@value #MAX_TASKS_PER_RUN} tasks throws (a task that
 * keeps rescheduling itself with no delay).
 */
public final class FakeClock implements Ticker, Scheduler {

  /** Epoch milliseconds of {@link #asClock()} at ticker reading 0 (an arbitrary fixed date). */
  public static final long EPOCH_MILLIS = 1_700_000_000_000L;
  static final int MAX_TASKS_PER_RUN = 1_000_000;

  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long nanos;
  private long sequence;

  @Override
  public synchronized long read() {
    return nanos;
  }

  /** Nanoseconds since this clock was made. */
  public long nanos() {
    return read();
  }

  /** Moves time forward by {@code d}, running every task that falls due on the way. */
  public void forward(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time must not go backwards: " + d);
    }
    forwardTo(read() + d.toNanos());
  }

  /** Moves time forward to {@code t} nanoseconds, running every task that falls due on the way. */
  public void forwardTo(long t) {
    synchronized (this) {
      if (t < nanos) {
        throw new IllegalArgumentException("time must not go backwards: " + t + " < " + nanos);
      }
    }
    runUntil(t);
    synchronized (this) {
      nanos = Math.max(nanos, t);
    }
  }

  /** Runs every task due now, including those that the tasks schedule for now. */
  public void runDue() {
    runUntil(read());
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public synchronized int pendingTasks() {
    tasks.removeIf(FutureTask::isCancelled);
    return tasks.size();
  }

  private void runUntil(long t) {
    for (int n = 0; ; n++) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due > t) {
          return;
        }
        tasks.poll();
        nanos = Math.max(nanos, next.due);
      }
      if (n >= MAX_TASKS_PER_RUN) {
        throw new IllegalStateException("more than " + MAX_TASKS_PER_RUN + " tasks in one run: a task reschedules itself with no delay?");
      }
      next.run();
      next.rethrow();
    }
  }

  @Override
  public synchronized Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
    Task t = new Task(task, nanos + Math.max(0, unit.toNanos(delay)), sequence++);
    tasks.add(t);
    return t;
  }

  @Override
  public void execute(Runnable task) {
    task.run();
  }

  /** A {@code java.time.Clock} that reads this ticker: {@link #EPOCH_MILLIS} plus the elapsed time. */
  public Clock asClock() {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public long millis() {
        return EPOCH_MILLIS + read() / 1_000_000L;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(EPOCH_MILLIS).plusNanos(read());
      }
    };
  }

  @Override
  public String toString() {
    return "FakeClock{" + Duration.ofNanos(read()) + ", " + pendingTasks() + " pending}";
  }

  private static final class Task extends FutureTask<Void> implements Comparable<Task> {
    final long due;
    final long seq;

    Task(Runnable task, long due, long seq) {
      super(task, null);
      this.due = due;
      this.seq = seq;
    }

    void rethrow() {
      if (!isDone() || isCancelled()) {
        return;
      }
      try {
        get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(cause);
      } catch (InterruptedException | CancellationException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
