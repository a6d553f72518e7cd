package io.lb4j;

import java.util.List;
import java.util.function.Consumer;

/**
 * Where a {@link LoadBalancer}'s endpoints come from: a static list, DNS, a service registry.
 * Implementations in {@code io.lb4j.discovery} and the {@code lb4j-zookeeper} module.
 *
 * <p><b>Contract.</b> The balancer calls {@link #start} once, from {@code build()}; {@link #close()}
 * is called by {@link LoadBalancer#close()} and must be idempotent. Between the two the source:
 * <ul>
 *   <li>calls {@code onUpdate} with the complete current list after every successful refresh,
 *       <em>whether or not the list changed</em>. A refresh is one resolution for a polling source
 *       (DNS: every TTL or interval), and for a watching source (ZooKeeper) the first snapshot,
 *       every change, and the moment it is in sync again after a reconnect. So an update also says
 *       "the source works"; the balancer treats an unchanged list as a no-op.
 *   <li>calls {@code onError} after every failed refresh, with an exception whose message alone
 *       says which source, which name, which server and why. lb4j's sources pass a
 *       {@link io.lb4j.discovery.DiscoveryException}, which also has those parts one by one. A
 *       failure never changes the list: the balancer keeps what it has (which may be nothing, if
 *       no refresh ever succeeded).
 *   <li>calls them from any thread, but never two at once (each call finishes before the next
 *       begins), possibly before {@code start} returns (the first refresh), and not after
 *       {@code close()} returns.
 * </ul>
 * The {@code onError} calls between two {@code onUpdate} calls form a failure streak; its end is
 * the next {@code onUpdate}. lb4j's sources log one WARN line when a streak begins (the message
 * above, no stack trace) and one INFO line when it ends, so a consumer need not log each error.
 * {@link io.lb4j.discovery.StaticEndpointSource} never fails.
 */
public interface EndpointSource extends AutoCloseable {

  /**
   * Starts delivering endpoint lists, as the class doc describes. Called once.
   *
   * @param onUpdate receives the complete list after every successful refresh
   * @param onError receives the reason for every failed refresh
   */
  void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError);

  /** Stops delivering updates and frees resources. Idempotent; throws nothing checked. */
  @Override
  void close();
}
