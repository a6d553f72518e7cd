package io.lb4j;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import net.openhft.hashing.LongHashFunction;

/**
 * What a request tells the picker: an optional 64-bit hash for ring hash and Maglev.
 *
 * <p>{@link #ofKey(CharSequence)} hashes the key's UTF-8 bytes with XXH64, seed 0 — the hash Envoy
 * uses — so a key hashed here and by an Envoy sidecar lands on the same endpoint. Policies that do
 * not hash ignore the context. Immutable and thread-safe.
 */
public final class PickContext {

  /** No hash: hash policies pick at random. */
  public static final PickContext EMPTY = new PickContext(false, 0L);

  private static final LongHashFunction XX64 = LongHashFunction.xx(0L);

  private final boolean hasHash;
  private final long hash;

  private PickContext(boolean hasHash, long hash) {
    this.hasHash = hasHash;
    this.hash = hash;
  }

  /** A context carrying a precomputed request hash. */
  public static PickContext ofHash(long hash) {
    return new PickContext(true, hash);
  }

  /**
   * A context whose hash is XXH64 (seed 0) of the key's UTF-8 bytes.
   *
   * @throws IllegalArgumentException if {@code key} is null
   */
  public static PickContext ofKey(CharSequence key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null (use PickContext.EMPTY for no hash)");
    }
    return new PickContext(true, hashKey(key));
  }

  /**
   * XXH64 (seed 0) of the key's UTF-8 bytes; the hash that {@link #ofKey} carries. Allocates
   * nothing for an ASCII key; other keys are encoded to UTF-8 first.
   */
  public static long hashKey(CharSequence key) {
    int n = key.length();
    boolean ascii = true;
    for (int i = 0; i < n; i++) {
      if (key.charAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      // ASCII chars are their own UTF-8 bytes: hash them in place, no copy, no allocation.
      return XX64.hash(key, AsciiAccess.LITTLE, 0, n);
    }
    return XX64.hashBytes(key.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A context for a key with several values, such as a repeated header: the values sorted (by
   * {@link String#compareTo}), then each one's UTF-8 bytes hashed with XXH64 seeded by the previous
   * hash, starting at seed 0, as Envoy's header hash does, so that a Java client and an Envoy
   * sidecar agree. One value gives the same hash as {@link #ofKey}; no value gives {@link #EMPTY}.
   *
   * @throws IllegalArgumentException if {@code values} or one of them is null
   */
  public static PickContext ofKeys(Collection<? extends CharSequence> values) {
    if (values == null) {
      throw new IllegalArgumentException("values must not be null (use PickContext.EMPTY for no hash)");
    }
    return values.isEmpty() ? EMPTY : new PickContext(true, hashKeys(values));
  }

  /**
   * The hash that {@link #ofKeys} carries; allocates a sorted copy of the values.
   *
   * @throws IllegalArgumentException if {@code values} is empty or null, or one of them is null
   */
  public static long hashKeys(Collection<? extends CharSequence> values) {
    if (values == null || values.isEmpty()) {
      throw new IllegalArgumentException("values must name at least one key, was " + values);
    }
    if (values.size() == 1) {
      CharSequence only = values.iterator().next();
      if (only == null) {
        throw new IllegalArgumentException("values must not contain null, was " + values);
      }
      return hashKey(only);
    }
    String[] sorted = new String[values.size()];
    int i = 0;
    for (CharSequence v : values) {
      if (v == null) {
        throw new IllegalArgumentException("values must not contain null, index " + i);
      }
      sorted[i++] = v.toString();
    }
    Arrays.sort(sorted);
    long hash = 0;
    for (String v : sorted) {
      hash = LongHashFunction.xx(hash).hashBytes(v.getBytes(StandardCharsets.UTF_8));
    }
    return hash;
  }

  /** Whether this context carries a hash. */
  public boolean hasHash() {
    return hasHash;
  }

  /** The request hash; 0 when {@link #hasHash()} is false. */
  public long hash() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PickContext p && p.hasHash == hasHash && p.hash == hash;
  }

  @Override
  public int hashCode() {
    return hasHash ? Long.hashCode(hash) : -1;
  }

  @Override
  public String toString() {
    return hasHash ? "PickContext{hash=" + Long.toUnsignedString(hash) + "}" : "PickContext{}";
  }
}
