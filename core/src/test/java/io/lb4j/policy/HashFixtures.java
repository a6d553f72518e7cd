package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

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
  /** Keys {@code hashInt(0..keys-1)} that map differently: {moved, of which from {@code removed}}. */
  static int[] movedKeys(LongFunction<Endpoint> before, LongFunction<Endpoint> after, Endpoint removed, int keys) {
    int moved = 0;
    int fromRemoved = 0;
    for (int i = 0; i < keys; i++) {
      long h = hashInt(i);
      Endpoint a = before.apply(h);
      if (!a.equals(after.apply(h))) {
        moved++;
        fromRemoved += a.equals(removed) ? 1 : 0;
      }
    }
    return new int[] {moved, fromRemoved};
  }

  /**
   * Picks 100,000 times over {@code contexts} to warm up (JIT, per-thread scratch), then 100,000
   * times more and asserts those allocated (almost) nothing. Returns the sum of the picked views'
   * in-flight counts over both rounds.
   */
  static long assertPicksAllocateNothing(Object label, Picker picker, PickContext[] contexts) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long sink = 0;
    for (int i = 0; i < 100_000; i++) {
      sink += picker.pick(contexts[i % contexts.length]).inFlight();
    }
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 100_000; i++) {
      sink += picker.pick(contexts[i % contexts.length]).inFlight();
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;
    // One allocation per pick would be at least 1.6 MB; allow a little for the measurement itself.
    assertTrue(allocated < 16_384, label + " allocated " + allocated + " bytes over 100,000 picks");
    return sink;
  }

  /** The same key always picks the same endpoint, through a fresh or a reused context. */
  static void assertSticky(Policy policy) {
    Picker picker = policy.newPicker(views(envoyBenchmarkHosts(64)));
    for (int k = 0; k < 100; k++) {
      PickContext ctx = PickContext.ofKey("session-" + k);
      Endpoint first = picker.pick(ctx).endpoint();
      for (int i = 0; i < 20; i++) {
        assertEquals(first, picker.pick(ctx).endpoint());
      }
      assertEquals(first, picker.pick(PickContext.ofKey("session-" + k)).endpoint());
    }
  }

  /** Without a hash, picks are random and follow weights (1:3 here) within 3 points. */
  static void assertRandomFallbackFollowsWeights(Policy policy) {
    Picker picker = policy.newPicker(views(List.of(local(90), local(91).withWeight(3))));
    int n = 40_000;
    int heavy = 0;
    for (int i = 0; i < n; i++) {
      heavy += picker.pick(PickContext.EMPTY).endpoint().port() == 91 ? 1 : 0;
    }
    double share = heavy / (double) n;
    assertTrue(Math.abs(share - 0.75) < 0.03, policy + ": weight-3 host share " + share);
  }
}
