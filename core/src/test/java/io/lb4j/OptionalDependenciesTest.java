package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lb4j.testing.FakeClock;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.Callable;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Micrometer and dnsjava are optional dependencies of lb4j-core: a balancer without a meter registry
 * and without DNS SRV must run on a class path that has neither. The balancer runs in a class loader
 * that sees only lb4j (main and test classes), SLF4J and zero-allocation-hashing; loading any class
 * of the optional libraries would fail there.
 */
class OptionalDependenciesTest {

  private static URL where(Class<?> c) {
    return c.getProtectionDomain().getCodeSource().getLocation();
  }

  @Test
  void healthChecksOutlierDetectionAndSlowStartRunWithoutMicrometerOrDnsjava() throws Exception {
    URL[] path = {where(LoadBalancer.class), where(FakeClock.class), where(WithoutOptionalDependencies.class),
        where(LoggerFactory.class), where(LongHashFunction.class)};
    try (URLClassLoader bare = new URLClassLoader(path, ClassLoader.getPlatformClassLoader())) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName("io.micrometer.core.instrument.MeterRegistry", false, bare));
      assertThrows(ClassNotFoundException.class, () -> Class.forName("org.xbill.DNS.Lookup", false, bare));
      Class<?> driver = Class.forName(WithoutOptionalDependencies.class.getName(), true, bare);
      assertEquals(bare, driver.getClassLoader(), "lb4j itself is loaded in the bare loader too");
      @SuppressWarnings("unchecked")
      Callable<String> run = (Callable<String>) driver.getDeclaredConstructor().newInstance();
      assertEquals("dead=UNHEALTHY good=EJECTED recordsLatency=false nothing to pick: load balancer 'plain': all 2"
          + " endpoints are unavailable (1 ejected, 1 unhealthy, 0 draining)", run.call());
    }
  }
}
