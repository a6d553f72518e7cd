package io.lb4j;

/**
 * The fields that every pick and release of one endpoint may write, on a cache line of their own:
 * {@link EndpointState} extends this chain, so 64 bytes of padding sit before and after them and two
 * endpoints' states never share the line that picks and releases write (false sharing made every
 * release of one endpoint slow down picks of its neighbours in memory). {@code int} padding leaves
 * no gap for the JVM's field layout to fill with a subclass field.
 */
abstract class EndpointPadding extends EndpointHotFields {
  int q00;
  int q01;
  int q02;
  int q03;
  int q04;
  int q05;
  int q06;
  int q07;
  int q08;
  int q09;
  int q10;
  int q11;
  int q12;
  int q13;
  int q14;
  int q15;
}

/** Padding before the hot fields (the object header and these 64 bytes). */
abstract class EndpointPaddingBefore {
  int p00;
  int p01;
  int p02;
  int p03;
  int p04;
  int p05;
  int p06;
  int p07;
  int p08;
  int p09;
  int p10;
  int p11;
  int p12;
  int p13;
  int p14;
  int p15;
}

/**
 * Written per pick and release, or per failure: the exact in-flight count (kept only when the
 * policy reads it at pick time), the latency average (only when the policy reads it) and the
 * failure ratio. Accessed through {@link EndpointState}'s handles.
 */
abstract class EndpointHotFields extends EndpointPaddingBefore {
  volatile int inFlight;
  // Racy read-modify-write: a lost update under contention only loses one sample of an average.
  volatile double latencyEwma;
  // Same racy read-modify-write, same reason; see EndpointState.failureRatio().
  volatile double failureRatio;
}
