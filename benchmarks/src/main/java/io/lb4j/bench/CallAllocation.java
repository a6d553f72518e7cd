package io.lb4j.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Bytes allocated per call by the calling thread, for each {@code @Benchmark} method of the OkHttp
 * overhead benchmarks: the exact counterpart of JMH's {@code gc.alloc.rate.norm}, which sums every
 * thread of the JVM, loopback server included (about 27 KB of the 34 KB per call, varying by a few
 * hundred bytes between iterations). A synchronous OkHttp call runs its whole interceptor chain on
 * the caller's thread, so the difference between two methods here is the interceptor's, to the
 * byte, and it does not depend on how busy the machine is.
 *
 * <pre>{@code
 * java -cp benchmarks/target/lb4j-benchmarks.jar io.lb4j.bench.CallAllocation OkHttpOverheadBenchmark [paths=64]
 * }</pre>
 *
 * <p>Arguments: the benchmark class (simple name in {@code io.lb4j.bench}, or fully qualified), then
 * {@code name=value} settings of its int {@code @Param} fields (the others take their first value). Each method is warmed up for
 * {@link #WARMUP} calls, then measured over {@link #CALLS}, in rounds of all methods in turn; the
 * last round's figures are printed (earlier rounds still let the JIT remove allocations).
 */
public final class CallAllocation {

  /** Calls before the first measured round. */
  static final int WARMUP = 20_000;
  /** Calls per measured round. */
  static final int CALLS = 10_000;
  private static final int ROUNDS = 3;

  private CallAllocation() {}

  /**
   * Measures {@code benchmark}'s methods with these {@code params} ({@code name=value}); returns the
   * bytes per call of each method, in declaration order of the printed table.
   */
  static Map<String, Double> measure(String benchmark, List<String> params, int warmup, int calls, PrintStream out)
      throws ReflectiveOperationException {
    Class<?> cls = Class.forName(benchmark.contains(".") ? benchmark : CallAllocation.class.getPackageName() + "." + benchmark);
    Object state = cls.getDeclaredConstructor().newInstance();
    Map<String, String> given = new LinkedHashMap<>();
    for (String p : params) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("a parameter is name=value, got '" + p + "'");
      }
      given.put(p.substring(0, eq), p.substring(eq + 1));
    }
    for (Field f : cls.getFields()) {
      Param param = f.getAnnotation(Param.class);
      if (param != null) {
        String value = given.containsKey(f.getName()) ? given.remove(f.getName()) : param.value()[0];
        f.setInt(state, Integer.parseInt(value));
      }
    }
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(cls.getSimpleName() + " has no int @Param " + given.keySet());
    }
    List<Method> methods = new ArrayList<>();
    for (Method m : cls.getMethods()) {
      if (m.isAnnotationPresent(Benchmark.class)) {
        methods.add(m);
      }
    }
    methods.sort((a, b) -> a.getName().compareTo(b.getName()));
    invokeAnnotated(cls, state, Setup.class);
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    Map<String, Double> perCall = new LinkedHashMap<>();
    try {
      for (Method m : methods) {
        repeat(m, state, warmup);
      }
      for (int round = 0; round < ROUNDS; round++) {
        for (Method m : methods) {
          long before = mx.getThreadAllocatedBytes(thread);
          repeat(m, state, calls);
          perCall.put(m.getName(), (mx.getThreadAllocatedBytes(thread) - before) / (double) calls);
        }
      }
    } finally {
      invokeAnnotated(cls, state, TearDown.class);
    }
    out.printf(Locale.ROOT, "%s %s: bytes per call on the calling thread (%d calls after %d warm-up)%n",
        cls.getSimpleName(), params, calls, warmup);
    Double plain = perCall.get("plain");
    for (Map.Entry<String, Double> e : perCall.entrySet()) {
      String added = plain == null || e.getKey().equals("plain") ? ""
          : String.format(Locale.ROOT, "  %+,.0f", e.getValue() - plain);
      out.printf(Locale.ROOT, "  %-10s %,9.0f%s%n", e.getKey(), e.getValue(), added);
    }
    return perCall;
  }

  private static void repeat(Method m, Object state, int n) throws ReflectiveOperationException {
    for (int i = 0; i < n; i++) {
      m.invoke(state);
    }
  }

  private static void invokeAnnotated(Class<?> cls, Object state, Class<? extends java.lang.annotation.Annotation> a)
      throws IllegalAccessException, InvocationTargetException {
    for (Method m : cls.getMethods()) {
      if (m.isAnnotationPresent(a)) {
        m.invoke(state);
      }
    }
  }

  /**
   * Entry point: {@code <benchmark> [name=value ...]}.
   *
   * @throws ReflectiveOperationException if the class or a method is missing or a call fails
   */
  public static void main(String[] args) throws ReflectiveOperationException {
    if (args.length < 1) {
      System.err.println("usage: CallAllocation <benchmark> [param=value ...], e.g. CallAllocation OkHttpOverheadBenchmark paths=64");
      System.exit(2);
    }
    measure(args[0], List.of(args).subList(1, args.length), WARMUP, CALLS, System.out);
    System.exit(0); // OkHttp's pool and dispatcher threads would keep the JVM up for a minute
  }
}
