package io.lb4j.bench;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.lb4j.grpc.testing.FakeHelper;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * lb4j's gRPC pickers next to gRPC-java's own ({@code round_robin} from grpc-util,
 * {@code least_request_experimental} and {@code ring_hash_experimental} from grpc-xds), each built
 * by its real {@link io.grpc.LoadBalancerProvider} over the same fake, always-READY subchannels (lb4j-grpc's
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

  private static final String HASH_HEADER = "x-user-id";
  private static final int KEYS = 1024;
  private static final Metadata.Key<String> HEADER_KEY = Metadata.Key.of(HASH_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final ClientStreamTracer.StreamInfo STREAM_INFO =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();

  /** The registered gRPC policy name: lb4j's ({@code lb4j_*}) and gRPC-java's own. */
  @Param({"lb4j_round_robin", "round_robin", "lb4j_weighted_round_robin", "lb4j_random", "lb4j_p2c",
      "lb4j_least_request", "least_request_experimental", "lb4j_peak_ewma", "lb4j_ring_hash",
      "ring_hash_experimental", "lb4j_maglev"})
  public String policy;

  /** Number of resolved addresses. */
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

  /** Starts the balancer and picks until every key's subchannel is connected. */
  @Setup(Level.Trial)
  public void setUp() {
    helper = FakeHelper.autoReady();
    balancer = GrpcBalancers.start(helper, policy, GrpcBalancers.resolved(policy, config(policy), endpoints));
    args = args(policy);
    GrpcBalancers.pickUntilReady(helper, args, 20 * endpoints + KEYS);
    picker = helper.picker;
  }

  /** The policy's config as these benchmarks run it: hash policies hash {@link #HASH_HEADER}. */
  static Map<String, ?> config(String policy) {
    return switch (policy) {
      case "lb4j_ring_hash", "lb4j_maglev" -> Map.of("hashHeader", HASH_HEADER);
      case "ring_hash_experimental" -> Map.of("requestHashHeader", HASH_HEADER);
      case "least_request_experimental" -> Map.of("choiceCount", 2.0);
      default -> Map.of();
    };
  }

  /** One call's arguments per key; hash policies' calls carry the key in the hash header. */
  static LoadBalancer.PickSubchannelArgs[] args(String policy) {
    boolean hashing = policy.contains("ring_hash") || policy.contains("maglev");
    return GrpcBalancers.args(hashing ? HEADER_KEY : null, KEYS);
  }

  /** Shuts the balancer and the helper down. */
  @TearDown(Level.Trial)
  public void tearDown() {
    GrpcBalancers.close(helper, balancer);
  }

  /** The picker alone, on the next key. */
  @Benchmark
  public LoadBalancer.PickResult pick(Cursor c) {
    return picker.pickSubchannel(args[c.next++ & (KEYS - 1)]);
  }

  /** A pick, then its stream tracer's life (created, closed OK) when it carries one. */
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
