package io.lb4j.grpc.testing;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SynchronizationContext;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A channel stand-in for {@link LoadBalancer} tests and benchmarks (lb4j-grpc's test-jar): records
 * subchannels, balancing states and name-resolution refreshes; runs the synchronization context on
 * the calling thread and keeps the first exception thrown inside it for {@link #inSync} to rethrow.
 * Subchannels change state when the test says so ({@link FakeSubchannel#setState}), or, made by
 * {@link #autoReady()}, turn READY (and report healthy to a petiole policy's health listener) as
 * soon as they are asked to connect. Not thread-safe except where gRPC calls it from other threads
 * (pickers); one test, one helper.
 */
public final class FakeHelper extends LoadBalancer.Helper implements AutoCloseable {

  /** The first exception thrown inside the synchronization context, if any. */
  public final AtomicReference<Throwable> syncError = new AtomicReference<>();
  /** The channel's synchronization context, run on the calling thread. */
  public final SynchronizationContext sync = new SynchronizationContext((t, e) -> syncError.compareAndSet(null, e));
  /** Every subchannel created, in order. */
  public final List<FakeSubchannel> subchannels = new CopyOnWriteArrayList<>();
  /** The latest balancing state. */
  public volatile ConnectivityState state;
  /** The latest picker. */
  public volatile LoadBalancer.SubchannelPicker picker;
  /** Balancing-state updates so far. */
  public int stateUpdates;
  /** Name-resolution refreshes asked for so far. */
  public int refreshes;
  private final boolean autoReady;
  private ScheduledExecutorService scheduler;

  /** A helper whose subchannels change state only when the test says so. */
  public FakeHelper() {
    this(false);
  }

  private FakeHelper(boolean autoReady) {
    this.autoReady = autoReady;
  }

  /** A helper whose subchannels turn READY as soon as they are asked to connect (benchmarks). */
  public static FakeHelper autoReady() {
    return new FakeHelper(true);
  }

  @Override
  public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
    FakeSubchannel sc = new FakeSubchannel(this, args);
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

  /** A daemon single-thread scheduler, made on first use and stopped by {@link #close()}. */
  @Override
  public synchronized ScheduledExecutorService getScheduledExecutorService() {
    if (scheduler == null) {
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-helper-scheduler");
        t.setDaemon(true);
        return t;
      });
    }
    return scheduler;
  }

  @Override
  public String getAuthority() {
    return "fake-authority";
  }

  @Override
  public ChannelLogger getChannelLogger() {
    return QuietLogger.INSTANCE;
  }

  /** Picks once with no headers and default call options. */
  public LoadBalancer.PickResult pick() {
    return picker.pickSubchannel(new Args(CallOptions.DEFAULT, new Metadata()));
  }

  /** Runs in the synchronization context, as gRPC would; rethrows what failed inside. */
  public void inSync(Runnable r) {
    sync.execute(r);
    Throwable t = syncError.getAndSet(null);
    if (t != null) {
      throw new AssertionError("exception in synchronization context", t);
    }
  }

  /** Stops the scheduler, if one was made. */
  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /** A subchannel whose state the test sets (or that turns READY at once, see {@link #autoReady()}). */
  public static final class FakeSubchannel extends LoadBalancer.Subchannel {
    /** The helper that made it. */
    public final FakeHelper helper;
    private final LoadBalancer.CreateSubchannelArgs args;
    /** Its current addresses. */
    public volatile List<EquivalentAddressGroup> addresses;
    /** The policy's listener, once started. */
    public volatile LoadBalancer.SubchannelStateListener listener;
    /** Connection requests so far. */
    public int connectionRequests;
    /** Whether the policy shut it down. */
    public boolean shutdown;

    FakeSubchannel(FakeHelper helper, LoadBalancer.CreateSubchannelArgs args) {
      this.helper = helper;
      this.args = args;
      this.addresses = args.getAddresses();
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
      if (++connectionRequests > 1 || !helper.autoReady || listener == null) {
        return;
      }
      helper.sync.executeLater(() -> {
        listener.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING));
        listener.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.READY));
        // Petiole policies (round_robin, least_request) also listen for health; report healthy.
        LoadBalancer.SubchannelStateListener health = args.getOption(LoadBalancer.HEALTH_CONSUMER_LISTENER_ARG_KEY);
        if (health != null) {
          health.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.READY));
        }
      });
      helper.sync.drain();
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
      return args.getAttributes();
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return QuietLogger.INSTANCE;
    }

    /** Delivers a state change through the synchronization context. */
    public void setState(ConnectivityStateInfo info) {
      helper.inSync(() -> listener.onSubchannelState(info));
    }

    /** Delivers a state change without an error status. */
    public void setState(ConnectivityState s) {
      setState(ConnectivityStateInfo.forNonError(s));
    }

    @Override
    public String toString() {
      return "FakeSubchannel" + addresses;
    }
  }

  /** The pick arguments of one call. */
  public static final class Args extends LoadBalancer.PickSubchannelArgs {
    private static final MethodDescriptor<Void, Void> METHOD = MethodDescriptor.<Void, Void>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("test/Call")
        .setRequestMarshaller(new VoidMarshaller())
        .setResponseMarshaller(new VoidMarshaller())
        .build();

    private final CallOptions options;
    private final Metadata headers;

    /** A call with these options and headers. */
    public Args(CallOptions options, Metadata headers) {
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
    public InputStream stream(Void value) {
      return InputStream.nullInputStream();
    }

    @Override
    public Void parse(InputStream stream) {
      return null;
    }
  }

  private static final class QuietLogger extends ChannelLogger {
    static final QuietLogger INSTANCE = new QuietLogger();

    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  }
}
