package io.lb4j.bench;

import io.grpc.LoadBalancer;
import io.lb4j.grpc.testing.FakeHelper;
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
 * How long a channel's policy takes to come up over many backends, lb4j's next to gRPC-java's
 * ({@code round_robin}, {@code ring_hash_experimental}): from the resolved addresses to every pick
 * answered by a READY subchannel, with {@link FakeHelper#autoReady()} subchannels (READY as soon as
 * asked to connect, no sockets). Eager policies connect every subchannel at once; lazy ones (both
 * ring hashes, lb4j's Maglev) connect a subchannel when a pick first lands on it, so their time
 * includes the picks that connect every key's backend (1,024 keys). One shot per invocation, in the
 * channel's synchronization context as gRPC runs it. Run:
 * {@code java -jar benchmarks/target/lb4j-benchmarks.jar GrpcSetupBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class GrpcSetupBenchmark {

  /** The registered gRPC policy name: lb4j's ({@code lb4j_*}) and gRPC-java's own. */
  @Param({"lb4j_round_robin", "lb4j_p2c", "round_robin", "lb4j_maglev", "lb4j_ring_hash", "ring_hash_experimental"})
  public String policy;

  /** Number of resolved addresses. */
  @Param({"512", "1000"})
  public int endpoints;

  private LoadBalancer.PickSubchannelArgs[] args;
  private LoadBalancer.ResolvedAddresses resolved;
  private FakeHelper helper;
  private LoadBalancer balancer;

  /** The calls' arguments and the resolution result, made once per trial (not timed). */
  @Setup(Level.Trial)
  public void setUpArgs() {
    args = GrpcPickerBenchmark.args(policy);
    resolved = GrpcBalancers.resolved(policy, GrpcPickerBenchmark.config(policy), endpoints);
  }

  /** A fresh helper (the channel's side) for each timed set-up. */
  @Setup(Level.Invocation)
  public void newChannel() {
    helper = FakeHelper.autoReady();
  }

  /** Shuts down the balancer the invocation built, and its helper. */
  @TearDown(Level.Invocation)
  public void closeChannel() {
    if (balancer != null) {
      helper.inSync(balancer::shutdown);
      balancer = null;
    }
    helper.close();
  }

  /** Resolved addresses in, every pick answered out. */
  @Benchmark
  public LoadBalancer setUp() {
    balancer = GrpcBalancers.start(helper, policy, resolved);
    GrpcBalancers.pickUntilReady(helper, args, 20 * endpoints + args.length);
    return balancer;
  }
}
