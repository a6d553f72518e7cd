package io.lb4j.bench;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A gRPC channel stand-in for benchmarks: it builds a {@link LoadBalancer} by its registered
 * policy name over loopback addresses, runs it in a real {@link SynchronizationContext}, and keeps
 * the picker it installs. Its subchannels turn READY as soon as they are asked to connect (no
 * sockets). Not thread-safe except where gRPC requires (state and picker are volatile).
 */
final class FakeGrpcChannel extends LoadBalancer.Helper {

  static {
    // gRPC-java's ring hash reads the request hash from a header only behind this flag; set before
    // the first provider lookup (this class's first use).
    System.setProperty("GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY", "true");
  }

  final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new IllegalStateException("failure in synchronization context", e);
  });
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "grpc-bench-scheduler");
    t.setDaemon(true);
    return t;
  });
  volatile ConnectivityState state;
  volatile LoadBalancer.SubchannelPicker picker;

  /**
   * The resolution result for {@code endpoints} addresses {@code 127.0.0.1:10000+i} with the
   * policy's parsed {@code json} config.
   *
   * @throws IllegalStateException if the policy is not registered or rejects the config
   */
  static LoadBalancer.ResolvedAddresses resolved(String policy, Map<String, ?> json, int endpoints) {
    ConfigOrError config = provider(policy).parseLoadBalancingPolicyConfig(json);
    if (config.getError() != null) {
      throw new IllegalStateException(policy + " rejected " + json + ": " + config.getError());
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      groups.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 10_000 + i)));
    }
    return LoadBalancer.ResolvedAddresses.newBuilder()
        .setAddresses(groups).setLoadBalancingPolicyConfig(config.getConfig()).build();
  }

  /** A new balancer of the registered {@code policy} on this channel, which has accepted {@code resolved}. */
  LoadBalancer start(String policy, LoadBalancer.ResolvedAddresses resolved) {
    LoadBalancer balancer = provider(policy).newLoadBalancer(this);
    accept(balancer, resolved);
    return balancer;
  }

  /** Hands {@code resolved} to {@code balancer} in the synchronization context, as a channel does. */
  void accept(LoadBalancer balancer, LoadBalancer.ResolvedAddresses resolved) {
    sync.execute(() -> {
      Status s = balancer.acceptResolvedAddresses(resolved);
      if (!s.isOk()) {
        throw new IllegalStateException(balancer + " refused the addresses: " + s);
      }
    });
  }

  /**
   * Picks with random {@code args} until {@code inARow} picks in a row got a subchannel (lazy
   * policies such as ring hash connect a subchannel only when a pick lands on it).
   *
   * @throws IllegalStateException if that does not happen within a million picks
   */
  void pickUntilReady(LoadBalancer.PickSubchannelArgs[] args, int inARow) {
    int answered = 0;
    for (int i = 0; i < 1_000_000 && answered < inARow; i++) {
      LoadBalancer.PickResult r = picker.pickSubchannel(args[ThreadLocalRandom.current().nextInt(args.length)]);
      answered = r.getSubchannel() != null ? answered + 1 : 0;
    }
    if (state != ConnectivityState.READY || answered < inARow) {
      throw new IllegalStateException("never became READY: " + state + ", " + picker);
    }
  }

  /** Shuts {@code balancer} down and stops the scheduler. */
  void close(LoadBalancer balancer) {
    sync.execute(balancer::shutdown);
    scheduler.shutdownNow();
  }

  private static LoadBalancerProvider provider(String policy) {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    if (provider == null) {
      throw new IllegalStateException("no provider for " + policy + " on the class path");
    }
    return provider;
  }

  @Override
  public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
    return new FakeSubchannel(this, args);
  }

  @Override
  public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
    throw new UnsupportedOperationException("not in benchmarks");
  }

  @Override
  public void updateBalancingState(ConnectivityState newState, LoadBalancer.SubchannelPicker newPicker) {
    state = newState;
    picker = newPicker;
  }

  @Override
  public void refreshNameResolution() {}

  @Override
  public SynchronizationContext getSynchronizationContext() {
    return sync;
  }

  @Override
  public ScheduledExecutorService getScheduledExecutorService() {
    return scheduler;
  }

  @Override
  public String getAuthority() {
    return "bench";
  }

  @Override
  public ChannelLogger getChannelLogger() {
    return QuietLogger.INSTANCE;
  }

  /** Arguments of one call: default options, the given headers. */
  static final class Args extends LoadBalancer.PickSubchannelArgs {
    private static final MethodDescriptor<Void, Void> METHOD = MethodDescriptor.<Void, Void>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("bench/Call")
        .setRequestMarshaller(new NoMarshaller())
        .setResponseMarshaller(new NoMarshaller())
        .build();

    private final Metadata headers;

    Args(Metadata headers) {
      this.headers = headers;
    }

    /** {@code count} calls, call {@code i} carrying {@code header: user-i} (no header if null). */
    static Args[] withHeader(Metadata.Key<String> header, int count) {
      Args[] args = new Args[count];
      for (int i = 0; i < count; i++) {
        Metadata headers = new Metadata();
        if (header != null) {
          headers.put(header, "user-" + i);
        }
        args[i] = new Args(headers);
      }
      return args;
    }

    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
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

  private static final class NoMarshaller implements MethodDescriptor.Marshaller<Void> {
    @Override
    public InputStream stream(Void value) {
      return InputStream.nullInputStream();
    }

    @Override
    public Void parse(InputStream stream) {
      return null;
    }
  }

  private static final class FakeSubchannel extends LoadBalancer.Subchannel {
    private final FakeGrpcChannel helper;
    private final LoadBalancer.CreateSubchannelArgs args;
    private LoadBalancer.SubchannelStateListener listener;
    private boolean connected;

    FakeSubchannel(FakeGrpcChannel helper, LoadBalancer.CreateSubchannelArgs args) {
      this.helper = helper;
      this.args = args;
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      this.listener = listener;
    }

    @Override
    public void requestConnection() {
      if (connected || listener == null) {
        return;
      }
      connected = true;
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
    public void shutdown() {}

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return args.getAddresses();
    }

    @Override
    public Attributes getAttributes() {
      return args.getAttributes();
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return QuietLogger.INSTANCE;
    }

    @Override
    public void updateAddresses(List<EquivalentAddressGroup> addrs) {}
  }

  private static final class QuietLogger extends ChannelLogger {
    static final QuietLogger INSTANCE = new QuietLogger();

    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  }
}
