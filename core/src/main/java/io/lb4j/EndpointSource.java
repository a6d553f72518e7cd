package io.lb4j;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a {@link LoadBalancer}'s endpoints come from: a static list, DNS, a service registry.
 *
 * <p>The balancer calls {@link #start} once, from {@code build()}. The source then calls
 * {@code onUpdate} with the complete current list whenever it changes (from any thread, never
 * concurrently with itself), and {@code onError} when a refresh fails; the balancer keeps the last
 * good list on error. {@link #close()} stops the source; it is called by
 * {@link LoadBalancer#close()} and must be idempotent. Implementations in {@code io.lb4j.discovery}.
 */
public interface EndpointSource extends AutoCloseable {

  /** Starts delivering endpoint lists. Called once. */
  void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError);

  /** Stops delivering updates and frees resources. Idempotent; throws nothing checked. */
  @Override
  void close();
}
