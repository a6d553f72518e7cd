package io.lb4j.bench;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Metadata;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.lb4j.grpc.testing.FakeHelper;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * lb4j's gRPC pickers next to gRPC-java's own ({@code round_robin} from grpc-util,
 * {@code least_request_experimental} and {@code ring_hash_experimental} from grpc-xds), each built
 * by its real {@link LoadBalancerProvider} over the same fake, always-READY subchannels (lb4j-grpc's
 * test {@link FakeHelper}) and driven
 * through {@link LoadBalancer.SubchannelPicker#pickSubchannel}.
 *
 * <ul>
 *   <li>{@code pick}: the picker alone.
 *   <li>{@code pickAndTrace}: pick plus the stream tracer's life (created, closed OK) when the result
 *       carries one: what lb4j and least request pay per call to count in-flight requests.
 * </ul>
 *
 * Hash policies hash the {@code x-user-id} header (1,024 distinct values, cycled). Lazy policies
 * (both ring hashes, lb4j's Maglev) have connected every key's subchannel before measuring. Run with
 * one and with two threads:
 * {@code java -jar benchmarks/target/lb4j-benchmarks.jar GrpcPickerBenchmark -p endpoints=8,512 -t 1 -prof gc}
 * (and {@code -t 2}). {@link GrpcSetupBenchmark} times the set-up itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrpcPickerBenchmark {

  static {
    // gRPC-java's ring hash reads the request hash from a header only behind this flag.
    System.setProperty("GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY", "true");
  }

  private static final String HASH_HEADER = "x-user-id";
  private static final int KEYS = 1024;
  private static final Metadata.Key<String> HEADER_KEY = Metadata.Key.of(HASH_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final ClientStreamTracer.StreamInfo STREAM_INFO =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();

  @Param({"lb4j_round_robin", "round_robin", "lb4j_weighted_round_robin", "lb4j_random", "lb4j_p2c",
      "lb4j_least_request", "least_request_experimental", "lb4j_peak_ewma", "lb4j_ring_hash",
      "ring_hash_experimental", "lb4j_maglev"})
  public String policy;

  @Param({"8", "64", "512"})
  public int endpoints;

  private FakeHelper helper;
  private LoadBalancer balancer;
  private LoadBalancer.SubchannelPicker picker;
  private LoadBalancer.PickSubchannelArgs[] args;

  /** Per-thread position in the argument ring. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() {
    helper = FakeHelper.autoReady();
    args = args(policy);
    balancer = start(helper, policy, endpoints, args);
    picker = helper.picker;
  }

  /** One call's arguments per key; hash policies' calls carry the key in the hash header. */
  static LoadBalancer.PickSubchannelArgs[] args(String policy) {
    boolean hashing = policy.contains("ring_hash") || policy.contains("maglev");
    LoadBalancer.PickSubchannelArgs[] args = new LoadBalancer.PickSubchannelArgs[KEYS];
    for (int i = 0; i < KEYS; i++) {
      Metadata headers = new Metadata();
      if (hashing) {
        headers.put(HEADER_KEY, "user-" + i);
      }
      args[i] = new FakeHelper.Args(CallOptions.DEFAULT, headers);
    }
    return args;
  }

  /**
   * Builds {@code policy} through its registered provider in {@code helper}'s channel over
   * {@code endpoints} addresses and picks with random {@code args} until every pick is answered
   * by a READY subchannel (lazy policies connect a subchannel when a pick first lands on it).
   *
   * @throws IllegalStateException if the policy is missing, refuses its config or never gets READY
   */
  static LoadBalancer start(FakeHelper helper, String policy, int endpoints, LoadBalancer.PickSubchannelArgs[] args) {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    if (provider == null) {
      throw new IllegalStateException("no provider for " + policy + " on the class path");
    }
    Map<String, ?> json = switch (policy) {
      case "lb4j_ring_hash", "lb4j_maglev" -> Map.of("hashHeader", HASH_HEADER);
      case "ring_hash_experimental" -> Map.of("requestHashHeader", HASH_HEADER);
      case "least_request_experimental" -> Map.of("choiceCount", 2.0);
      default -> Map.of();
    };
    ConfigOrError config = provider.parseLoadBalancingPolicyConfig(json);
    if (config.getError() != null) {
      throw new IllegalStateException(policy + " rejected " + json + ": " + config.getError());
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      groups.add(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 10_000 + i)));
    }
    LoadBalancer balancer = provider.newLoadBalancer(helper);
    helper.inSync(() -> {
      Status s = balancer.acceptResolvedAddresses(LoadBalancer.ResolvedAddresses.newBuilder()
          .setAddresses(groups).setLoadBalancingPolicyConfig(config.getConfig()).build());
      if (!s.isOk()) {
        throw new IllegalStateException(policy + " refused the addresses: " + s);
      }
    });
    int answeredInARow = 0;
    for (int i = 0; i < 1_000_000 && answeredInARow < 20 * endpoints + KEYS; i++) {
      LoadBalancer.PickResult r = helper.picker.pickSubchannel(args[ThreadLocalRandom.current().nextInt(KEYS)]);
      answeredInARow = r.getSubchannel() != null ? answeredInARow + 1 : 0;
    }
    if (helper.state != ConnectivityState.READY || answeredInARow == 0) {
      throw new IllegalStateException(policy + " never became READY: " + helper.state + ", " + helper.picker);
    }
    return balancer;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    helper.inSync(balancer::shutdown);
    helper.close();
  }

  @Benchmark
  public LoadBalancer.PickResult pick(Cursor c) {
    return picker.pickSubchannel(args[c.next++ & (KEYS - 1)]);
  }

  @Benchmark
  public void pickAndTrace(Cursor c, Blackhole bh) {
    LoadBalancer.PickSubchannelArgs a = args[c.next++ & (KEYS - 1)];
    LoadBalancer.PickResult r = picker.pickSubchannel(a);
    ClientStreamTracer.Factory f = r.getStreamTracerFactory();
    if (f != null) {
      ClientStreamTracer t = f.newClientStreamTracer(STREAM_INFO, a.getHeaders());
      t.streamCreated(Attributes.EMPTY, a.getHeaders());
      t.streamClosed(Status.OK);
    }
    bh.consume(r);
  }
}
