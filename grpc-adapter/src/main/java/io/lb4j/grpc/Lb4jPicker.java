package io.lb4j.grpc;

import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.EndpointHandle;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.PickContext;
import io.lb4j.Subset;
import java.util.function.Function;

/**
 * The gRPC picker over one lb4j {@link LoadBalancer}: lb4j {@linkplain LoadBalancer#chooseHandle
 * chooses} (eligibility, ejection, health, connectivity, panic, zone and slow start applied) and the
 * chosen handle's attachment, a {@link GrpcEndpoint}, answers: its prebuilt result when its
 * subchannel is READY (the result's tracer factory counts the request once its stream exists),
 * else the call waits for the next picker (an IDLE subchannel is asked to connect first: hash
 * policies connect lazily). Hash policies hash {@link Lb4jGrpc#HASH_KEY} or the hash header.
 *
 * <p>Each install is a new picker object so that gRPC re-picks its waiting calls; its state is
 * lb4j's live snapshot. Immutable; picks take no lock. A pick with neither hash nor subset
 * allocates nothing; one with a hash or a subset allocates its {@link PickContext} (a hash header's
 * single value is hashed from its stored bytes, without a copy; a subset header's value is decoded).
 */
final class Lb4jPicker extends SubchannelPicker {

  private final LoadBalancer lb;
  private final boolean hashing;
  private final HeaderHash hashHeader;
  private final Function<Metadata, Subset> subsetHeader;

  /** A picker whose calls name no subset by header. */
  Lb4jPicker(LoadBalancer lb, boolean hashing, HeaderHash hashHeader) {
    this(lb, hashing, hashHeader, FleetConfig.NO_SUBSET_HEADER);
  }

  /**
   * @param hashing whether to compute a request hash (hash policies, a sticky traffic split)
   * @param hashHeader the header to hash, or null
   * @param subsetHeader reads the subset a call's metadata names (null for none)
   */
  Lb4jPicker(LoadBalancer lb, boolean hashing, HeaderHash hashHeader, Function<Metadata, Subset> subsetHeader) {
    this.lb = lb;
    this.hashing = hashing;
    this.hashHeader = hashHeader;
    this.subsetHeader = subsetHeader;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    PickContext ctx = hashing ? context(args) : PickContext.EMPTY;
    Subset subset = args.getCallOptions().getOption(Lb4jGrpc.SUBSET_KEY);
    if (subset == null) {
      subset = subsetHeader.apply(args.getHeaders());
    }
    if (subset != null) {
      ctx = ctx.withSubset(subset);
    }
    EndpointHandle chosen;
    try {
      chosen = lb.chooseHandle(ctx);
    } catch (NoEndpointAvailableException e) {
      return PickResult.withError(Status.UNAVAILABLE.withDescription(e.getMessage()));
    } catch (IllegalArgumentException e) {
      // A subset the balancer does not declare (from CallOptions): this call's mistake, named.
      return PickResult.withError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    } catch (IllegalStateException closed) {
      return PickResult.withNoResult(); // the balancer is being replaced; the next picker answers
    }
    // No attachment yet: lb4j knows an endpoint this channel is still setting up; the next picker answers.
    return chosen.attachment() instanceof GrpcEndpoint e ? e.pick() : PickResult.withNoResult();
  }

  /** The request hash: {@link Lb4jGrpc#HASH_KEY} if set, else the hash header's value(s), else none. */
  private PickContext context(PickSubchannelArgs args) {
    Long hash = args.getCallOptions().getOption(Lb4jGrpc.HASH_KEY);
    if (hash != null) {
      return PickContext.ofHash(hash);
    }
    return hashHeader == null ? PickContext.EMPTY : hashHeader.context(args.getHeaders());
  }

  @Override
  public String toString() {
    return "Lb4jPicker{" + lb + (hashHeader == null ? "" : ", hashHeader=" + hashHeader.name()) + "}";
  }
}
