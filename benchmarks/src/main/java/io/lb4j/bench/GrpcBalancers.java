package io.lb4j.bench;

import io.grpc.CallOptions;
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

/**
 * Builds and drives gRPC {@link LoadBalancer}s by registered policy name over lb4j-grpc's test
 * {@link FakeHelper} (subchannels that turn READY when asked to connect), for the gRPC benchmarks.
 * Stateless.
 */
final class GrpcBalancers {

  static {
    // gRPC-java's ring hash reads the request hash from a header only behind this flag; set before
    // the first provider lookup (this class's first use).
    System.setProperty("GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY", "true");
  }

  private GrpcBalancers() {}

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

  /** A new balancer of the registered {@code policy} on {@code helper}, which has accepted {@code resolved}. */
  static LoadBalancer start(FakeHelper helper, String policy, LoadBalancer.ResolvedAddresses resolved) {
    LoadBalancer balancer = provider(policy).newLoadBalancer(helper);
    accept(helper, balancer, resolved);
    return balancer;
  }

  /** Hands {@code resolved} to {@code balancer} in the synchronization context, as a channel does. */
  static void accept(FakeHelper helper, LoadBalancer balancer, LoadBalancer.ResolvedAddresses resolved) {
    helper.inSync(() -> {
      Status s = balancer.acceptResolvedAddresses(resolved);
      if (!s.isOk()) {
        throw new IllegalStateException(balancer + " refused the addresses: " + s);
      }
    });
  }

  /** {@code count} calls, call {@code i} carrying {@code header: user-i} (no header if null). */
  static LoadBalancer.PickSubchannelArgs[] args(Metadata.Key<String> header, int count) {
    LoadBalancer.PickSubchannelArgs[] args = new LoadBalancer.PickSubchannelArgs[count];
    for (int i = 0; i < count; i++) {
      Metadata headers = new Metadata();
      if (header != null) {
        headers.put(header, "user-" + i);
      }
      args[i] = new FakeHelper.Args(CallOptions.DEFAULT, headers);
    }
    return args;
  }

  /**
   * Picks with random {@code args} until {@code inARow} picks in a row got a subchannel (lazy
   * policies such as ring hash connect a subchannel only when a pick lands on it).
   *
   * @throws IllegalStateException if that does not happen within a million picks
   */
  static void pickUntilReady(FakeHelper helper, LoadBalancer.PickSubchannelArgs[] args, int inARow) {
    int answered = 0;
    for (int i = 0; i < 1_000_000 && answered < inARow; i++) {
      LoadBalancer.PickResult r = helper.picker.pickSubchannel(args[ThreadLocalRandom.current().nextInt(args.length)]);
      answered = r.getSubchannel() != null ? answered + 1 : 0;
    }
    if (helper.state != ConnectivityState.READY || answered < inARow) {
      throw new IllegalStateException("never became READY: " + helper.state + ", " + helper.picker);
    }
  }

  /** Shuts {@code balancer} down and stops the helper's scheduler. */
  static void close(FakeHelper helper, LoadBalancer balancer) {
    helper.inSync(balancer::shutdown);
    helper.close();
  }

  private static LoadBalancerProvider provider(String policy) {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    if (provider == null) {
      throw new IllegalStateException("no provider for " + policy + " on the class path");
    }
    return provider;
  }
}
