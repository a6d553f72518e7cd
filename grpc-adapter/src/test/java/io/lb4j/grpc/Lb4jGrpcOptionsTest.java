package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class Lb4jGrpcOptionsTest {

  @Test
  void settersRefuseWhatTheCoreBuilderRefusesNamingTheArgument() {
    Lb4jGrpcOptions.Builder b = Lb4jGrpcOptions.builder();
    assertEquals("meterRegistry must not be null",
        assertThrows(IllegalArgumentException.class, () -> b.meterRegistry(null)).getMessage());
    assertEquals("listener must not be null",
        assertThrows(IllegalArgumentException.class, () -> b.listener(null)).getMessage());
    assertEquals("ticker must not be null",
        assertThrows(IllegalArgumentException.class, () -> b.ticker(null)).getMessage());
    assertEquals("scheduler must not be null",
        assertThrows(IllegalArgumentException.class, () -> b.scheduler(null)).getMessage());
    assertEquals("name must not be blank, was ' '",
        assertThrows(IllegalArgumentException.class, () -> b.name(" ")).getMessage());
    assertEquals("name must not be blank, was null",
        assertThrows(IllegalArgumentException.class, () -> b.name(null)).getMessage());
  }

  @Test
  void refusedValuesLeaveTheOptionsAsTheyWere() {
    Lb4jGrpcOptions.Builder b = Lb4jGrpcOptions.builder().name("orders");
    assertThrows(IllegalArgumentException.class, () -> b.name(""));
    assertThrows(IllegalArgumentException.class, () -> b.listener(null));
    assertEquals("Lb4jGrpcOptions{name=orders, meterRegistry=false, listeners=0}", b.build().toString());
  }
}
