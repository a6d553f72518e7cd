package io.lb4j.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Assertion for the project's rule that a bad argument throws IllegalArgumentException naming it. */
public final class Rejects {

  private Rejects() {}

  /** Asserts that the call throws IllegalArgumentException whose message contains every fragment. */
  public static IllegalArgumentException rejects(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
    return e;
  }
}
