package io.lb4j.bench;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The gRPC picker benchmark's set-up (the shared fake channel) works for lb4j's and gRPC-java's policies. */
class GrpcPickerBenchmarkTest {

  @ParameterizedTest
  @ValueSource(strings = {"lb4j_p2c", "lb4j_maglev", "round_robin", "ring_hash_experimental"})
  void setUpReachesReadyAndPicks(String policy) {
    GrpcPickerBenchmark b = new GrpcPickerBenchmark();
    b.policy = policy;
    b.endpoints = 8;
    b.setUp();
    try {
      GrpcPickerBenchmark.Cursor c = new GrpcPickerBenchmark.Cursor();
      for (int i = 0; i < 100; i++) {
        assertNotNull(b.pick(c).getSubchannel(), policy + " answered without a subchannel");
      }
    } finally {
      b.tearDown();
    }
  }
}
