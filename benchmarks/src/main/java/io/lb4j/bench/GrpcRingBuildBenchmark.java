package io.lb4j.bench;

import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.lb4j.grpc.testing.FakeHelper;
import io.lb4j.Endpoint;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * Ring hash builds, lb4j next to gRPC-java's {@code ring_hash_experimental} (grpc-xds), at gRPC's
 * ring sizes: {@code minRingSize} 1,024 (gRPC's default) or 4,096, {@code maxRingSize} 4,096
 * (gRPC's default and cap), equal weights, so both build {@code min(ceil(minRingSize / n) * n,
 * 4096)} entries, give or take one from rounding (2,000 or 4,097 at 1,000 endpoints).
 *
 * <ul>
 *   <li>{@code ring}: the ring alone. lb4j: {@code Policies.ringHash(min, 4096).newPicker(views)},
 *       everything from the endpoint list to a picker (address keys and weights, hashing, sort,
 *       lookup index). gRPC: its private static {@code RingHashLoadBalancer.buildRing(weights,
 *       total, scale)}, called through a method handle with the weight map gRPC would pass (built
 *       once, in setup): hashing, entry objects, sort. gRPC's own weight map and scale, and its new
 *       picker, are not in this number; lb4j's equivalents are.
 *   <li>{@code reResolve}: {@code acceptResolvedAddresses} with the same 1,000 addresses again (a
 *       DNS or xDS refresh that changed nothing), in the channel's synchronization context, on a
 *       READY balancer built by each policy's real {@code LoadBalancerProvider} over lb4j-grpc's
 *       test {@link FakeHelper} (subchannels READY on request). Both rebuild their ring on every resolution. gRPC: address
 *       validation, its child-balancer bookkeeping, weights, {@code buildRing}, a new picker. lb4j:
 *       its subchannel bookkeeping, {@code LoadBalancer.updateEndpoints} (endpoint states, the ring
 *       through the same path as {@code ring}), a new picker and its pick-result map.
 * </ul>
 *
 * <p>{@code policy} selects the side: {@code lb4j_ring_hash} or {@code ring_hash_experimental}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class GrpcRingBuildBenchmark {

  private static final Metadata.Key<String> HASH_HEADER = Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  /** gRPC-java's default and largest {@code maxRingSize}. */
  static final int GRPC_MAX_RING_SIZE = 4096;

  /** lb4j's ring hash or gRPC-java's. */
  @Param({"lb4j_ring_hash", "ring_hash_experimental"})
  public String policy;

  /** Number of resolved addresses. */
  @Param({"1000"})
  public int endpoints;

  /** The policies' {@code minRingSize}. */
  @Param({"1024", "4096"})
  public int minRingSize;

  private FakeHelper channel;
  private LoadBalancer balancer;
  private LoadBalancer.ResolvedAddresses resolved;
  private boolean lb4j;
  /** lb4j: the ring hash policy and the endpoints the gRPC adapter would hand it. */
  private Policy ringHash;
  private List<StaticView> views;
  /** gRPC: {@code buildRing} and its arguments. */
  private GrpcRingBuild grpcRing;

  /** Builds both paths' inputs and a READY balancer of {@link #policy}. */
  @Setup(Level.Trial)
  public void setUp() {
    lb4j = policy.startsWith("lb4j_");
    Map<String, ?> json = Map.of("minRingSize", (double) minRingSize, "maxRingSize", (double) GRPC_MAX_RING_SIZE,
        lb4j ? "hashHeader" : "requestHashHeader", HASH_HEADER.name());
    resolved = GrpcBalancers.resolved(policy, json, endpoints);
    channel = FakeHelper.autoReady();
    balancer = GrpcBalancers.start(channel, policy, resolved);
    // Connect every subchannel (gRPC's ring hash connects on a pick's demand), so that both
    // re-resolve a balancer in the same state.
    GrpcBalancers.pickUntilReady(channel, GrpcBalancers.args(HASH_HEADER, 16_384), 50 * endpoints);

    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      list.add(Endpoint.of("127.0.0.1", 10_000 + i));
    }
    views = StaticView.of(list);
    ringHash = Policies.ringHash(minRingSize, GRPC_MAX_RING_SIZE);

    grpcRing = new GrpcRingBuild(resolved.getAddresses(), minRingSize, GRPC_MAX_RING_SIZE);
    // Both use Envoy's running sums in double, which may give one entry more than the scale.
    int entries = grpcRing.build().size();
    int expected = (int) Math.min((long) Math.ceil((double) minRingSize / endpoints) * endpoints, GRPC_MAX_RING_SIZE);
    if (Math.abs(entries - expected) > 1) {
      throw new IllegalStateException("gRPC built " + entries + " entries, expected " + expected);
    }
  }

  /** Shuts the balancer and its helper down. */
  @TearDown(Level.Trial)
  public void tearDown() {
    GrpcBalancers.close(channel, balancer);
  }

  /** The ring alone (see the class comment for what each side includes). */
  @Benchmark
  public Object ring() {
    return lb4j ? ringHash.newPicker(views) : grpcRing.build();
  }

  /** A re-resolution with the same addresses through the balancer (see the class comment). */
  @Benchmark
  public LoadBalancer.SubchannelPicker reResolve() {
    GrpcBalancers.accept(channel, balancer, resolved);
    return channel.picker;
  }
}
