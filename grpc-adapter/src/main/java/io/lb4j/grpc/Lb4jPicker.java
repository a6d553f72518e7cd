package io.lb4j.grpc;

import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.PickContext;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The gRPC picker over one lb4j {@link LoadBalancer}: asks it to {@link LoadBalancer#choose
 * choose} an endpoint (outlier ejection, health, panic mode and slow start already applied) and
 * returns that endpoint's prebuilt {@link PickResult}, whose tracer factory counts the request once
 * its stream exists. Immutable; picks take no lock and, without a hash, allocate nothing.
 */
final class Lb4jPicker extends SubchannelPicker {

  private final LoadBalancer lb;
  private final Map<Endpoint, PickResult> results;
  private final boolean hashing;
  private final Metadata.Key<String> hashHeader;

  /**
   * @param results one prebuilt result per READY endpoint
   * @param hashing whether to compute a request hash (hash policies only)
   * @param hashHeader the metadata key to hash, or null
   */
  Lb4jPicker(LoadBalancer lb, Map<Endpoint, PickResult> results, boolean hashing, Metadata.Key<String> hashHeader) {
    this.lb = lb;
    this.results = Map.copyOf(results);
    this.hashing = hashing;
    this.hashHeader = hashHeader;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    PickContext ctx = hashing ? context(args) : PickContext.EMPTY;
    Endpoint chosen;
    try {
      chosen = lb.choose(ctx);
    } catch (NoEndpointAvailableException e) {
      return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
    } catch (IllegalStateException closed) {
      return PickResult.withNoResult(); // the balancer is being replaced; the next picker answers
    }
    PickResult r = results.get(chosen);
    // lb4j already knows an endpoint this picker does not: a newer picker is being installed.
    return r != null ? r : PickResult.withNoResult();
  }

  /** The request hash: {@link Lb4jGrpc#HASH_KEY} if set, else the hash header's value(s), else none. */
  private PickContext context(PickSubchannelArgs args) {
    Long hash = args.getCallOptions().getOption(Lb4jGrpc.HASH_KEY);
    if (hash != null) {
      return PickContext.ofHash(hash);
    }
    if (hashHeader == null) {
      return PickContext.EMPTY;
    }
    Iterable<String> values = args.getHeaders().getAll(hashHeader);
    if (values == null) {
      return PickContext.EMPTY;
    }
    Iterator<String> it = values.iterator();
    String first = it.next();
    if (!it.hasNext()) {
      return PickContext.ofKey(first);
    }
    // Several values: sorted and chained through the seed, as Envoy's header hash does.
    List<String> all = new ArrayList<>();
    all.add(first);
    it.forEachRemaining(all::add);
    return PickContext.ofKeys(all);
  }

  @Override
  public String toString() {
    return "Lb4jPicker{" + lb.policy().name() + ", ready=" + results.keySet() + "}";
  }
}
