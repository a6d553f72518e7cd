package io.lb4j.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.StatusOr;
import java.util.List;
import java.util.function.Supplier;

/**
 * A resolver that hands over a known address list on start and again on every refresh. All calls
 * come from the channel's synchronization context, as gRPC guarantees.
 */
final class FixedResolver extends NameResolver {

  private final String authority;
  private final Supplier<List<EquivalentAddressGroup>> addresses;
  private Listener2 listener;

  FixedResolver(String authority, Supplier<List<EquivalentAddressGroup>> addresses) {
    this.authority = authority;
    this.addresses = addresses;
  }

  @Override
  public String getServiceAuthority() {
    return authority;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    refresh();
  }

  @Override
  public void refresh() {
    if (listener != null) {
      listener.onResult2(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(addresses.get())).build());
    }
  }

  @Override
  public void shutdown() {
    listener = null;
  }
}
