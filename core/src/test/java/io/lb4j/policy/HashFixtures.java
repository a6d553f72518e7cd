package io.lb4j.policy;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Shared test helpers for the ring hash and Maglev tests. */
final class HashFixtures {

  private HashFixtures() {}

  /** A static view: no load, effective weight = weight. */
  record View(Endpoint endpoint) implements EndpointView {
    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public double latencyEwmaNanos() {
      return 0;
    }

    @Override
    public int effectiveWeight() {
      return endpoint.weight();
    }
  }

  /** {@code 127.0.0.1:port} with weight 1. */
  static Endpoint local(int port) {
    return Endpoint.of("127.0.0.1", port);
  }

  /** {@code 127.0.0.1:port} for each port, weight 1. */
  static List<Endpoint> locals(int... ports) {
    List<Endpoint> list = new ArrayList<>();
    for (int p : ports) {
      list.add(local(p));
    }
    return list;
  }

  static List<EndpointView> views(List<Endpoint> endpoints) {
    List<EndpointView> views = new ArrayList<>();
    for (Endpoint e : endpoints) {
      views.add(new View(e));
    }
    return views;
  }

  /** Envoy's benchmark hosts: {@code 10.0.(i/256).(i%256):6379} for i in 0..n-1. */
  static List<Endpoint> envoyBenchmarkHosts(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      list.add(Endpoint.of("10.0." + i / 256 + "." + i % 256, 6379));
    }
    return list;
  }

  /** Envoy's benchmark {@code hashInt(i)}: XXH64 (seed 0) of the 8 little-endian bytes of i. */
  static long hashInt(long i) {
    byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(i).array();
    return HashPolicySupport.XXH64.hashBytes(bytes);
  }

  static Endpoint pick(Picker picker, long hash) {
    return picker.pick(PickContext.ofHash(hash)).endpoint();
  }
}
