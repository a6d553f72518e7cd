package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SynchronizationContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link LoadBalancer.Helper} for unit tests: records subchannels, balancing states and name
 * resolution refreshes; runs the synchronization context on the calling thread; fails the test on
 * any exception thrown inside it.
 */
final class FakeHelper extends LoadBalancer.Helper {

  final AtomicReference<Throwable> syncError = new AtomicReference<>();
  final SynchronizationContext sync = new SynchronizationContext((t, e) -> syncError.compareAndSet(null, e));
  final List<FakeSubchannel> subchannels = new ArrayList<>();
  ConnectivityState state;
  LoadBalancer.SubchannelPicker picker;
  int stateUpdates;
  int refreshes;

  @Override
  public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
    FakeSubchannel sc = new FakeSubchannel(this, args.getAddresses());
    subchannels.add(sc);
    return sc;
  }

  @Override
  public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
    throw new UnsupportedOperationException("no OOB channels in unit tests");
  }

  @Override
  public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
    state = newState;
    picker = newPicker;
    stateUpdates++;
  }

  @Override
  public void refreshNameResolution() {
    refreshes++;
  }

  @Override
  public SynchronizationContext getSynchronizationContext() {
    return sync;
  }

  @Override
  public String getAuthority() {
    return "fake-authority";
  }

  /** Picks once with no headers and default call options. */
  LoadBalancer.PickResult pick() {
    return picker.pickSubchannel(new Args(CallOptions.DEFAULT, new Metadata()));
  }

  /** Runs in the synchronization context, as gRPC would; rethrows what failed inside. */
  void inSync(Runnable r) {
    sync.execute(r);
    Throwable t = syncError.getAndSet(null);
    if (t != null) {
      throw new AssertionError("exception in synchronization context", t);
    }
  }

  /** A subchannel whose state the test sets. */
  static final class FakeSubchannel extends LoadBalancer.Subchannel {
    final FakeHelper helper;
    List<EquivalentAddressGroup> addresses;
    LoadBalancer.SubchannelStateListener listener;
    int connectionRequests;
    boolean shutdown;

    FakeSubchannel(FakeHelper helper, List<EquivalentAddressGroup> addresses) {
      this.helper = helper;
      this.addresses = addresses;
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      if (this.listener != null) {
        throw new IllegalStateException("started twice");
      }
      this.listener = listener;
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public void requestConnection() {
      connectionRequests++;
    }

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return addresses;
    }

    @Override
    public void updateAddresses(List<EquivalentAddressGroup> addrs) {
      this.addresses = addrs;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    /** Delivers a state change through the synchronization context. */
    void setState(ConnectivityStateInfo info) {
      helper.inSync(() -> listener.onSubchannelState(info));
    }

    void setState(ConnectivityState s) {
      setState(ConnectivityStateInfo.forNonError(s));
    }

    @Override
    public String toString() {
      return "FakeSubchannel" + addresses;
    }
  }

  /** The pick arguments of one call. */
  static final class Args extends LoadBalancer.PickSubchannelArgs {
    private static final MethodDescriptor<Void, Void> METHOD = MethodDescriptor.<Void, Void>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("test/Call")
        .setRequestMarshaller(new VoidMarshaller())
        .setResponseMarshaller(new VoidMarshaller())
        .build();

    private final CallOptions options;
    private final Metadata headers;

    Args(CallOptions options, Metadata headers) {
      this.options = options;
      this.headers = headers;
    }

    @Override
    public CallOptions getCallOptions() {
      return options;
    }

    @Override
    public Metadata getHeaders() {
      return headers;
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return METHOD;
    }
  }

  private static final class VoidMarshaller implements MethodDescriptor.Marshaller<Void> {
    @Override
    public java.io.InputStream stream(Void value) {
      return java.io.InputStream.nullInputStream();
    }

    @Override
    public Void parse(java.io.InputStream stream) {
      return null;
    }
  }
}
