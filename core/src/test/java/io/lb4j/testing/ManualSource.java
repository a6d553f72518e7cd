package io.lb4j.testing;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import java.util.List;
import java.util.function.Consumer;

/**
 * An {@link EndpointSource} the test drives by hand: {@link #deliver} a list, {@link #fail} a
 * refresh, on the test's thread (so the balancer's reaction has happened when the call returns).
 * For the balancer's side of the contract on a fake clock; the real sources are tested against
 * real servers. Not thread-safe.
 */
public final class ManualSource implements EndpointSource {

  private final List<Endpoint> first;
  private Consumer<List<Endpoint>> onUpdate;
  private Consumer<Throwable> onError;
  private boolean closed;

  /** A source whose {@code start} delivers {@code first}, or nothing when it is null. */
  public ManualSource(List<Endpoint> first) {
    this.first = first;
  }

  @Override
  public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
    this.onUpdate = onUpdate;
    this.onError = onError;
    if (first != null) {
      onUpdate.accept(first);
    }
  }

  /** A successful refresh that found {@code endpoints}. */
  public void deliver(List<Endpoint> endpoints) {
    onUpdate.accept(endpoints);
  }

  /** A failed refresh. */
  public void fail(Throwable error) {
    onError.accept(error);
  }

  /** Whether the balancer closed it. */
  public boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "ManualSource";
  }
}
