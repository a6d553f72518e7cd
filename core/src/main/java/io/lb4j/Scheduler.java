package io.lb4j;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs a balancer's background work: outlier sweeps, health probe rounds and their timeouts,
 * slow-start steps, and the coalesced picker rebuilds. By default each balancer that needs one owns
 * a scheduler with one daemon timer thread ({@code lb4j-<name>-1}) plus daemon threads for probes
 * that block, and stops it on {@link LoadBalancer#close()}. A scheduler given to
 * {@link LoadBalancer.Builder#scheduler} is not shut down by the balancer (its tasks are
 * cancelled); tests and simulations give a fake one that runs tasks only when time is advanced.
 * Implementations must be thread-safe.
 */
public interface Scheduler {

  /**
   * Runs {@code task} once after {@code delay} (0: as soon as possible), on a thread that runs
   * short, non-blocking tasks one at a time, in due order.
   *
   * @return a handle whose {@code cancel} stops the task if it has not started
   * @throws RejectedExecutionException if the scheduler has been shut down
   */
  Future<?> schedule(Runnable task, long delay, TimeUnit unit);

  /**
   * Runs {@code task}, which may block (an application's health probe), where it cannot delay
   * the tasks given to {@link #schedule}.
   *
   * @throws RejectedExecutionException if the scheduler has been shut down
   */
  void execute(Runnable task);
}
