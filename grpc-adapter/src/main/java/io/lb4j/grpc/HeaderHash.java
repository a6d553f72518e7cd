package io.lb4j.grpc;

import io.grpc.InternalMetadata;
import io.grpc.Metadata;
import io.lb4j.PickContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import net.openhft.hashing.LongHashFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A call's request hash from one header, as {@link PickContext#ofKey} and {@link PickContext#ofKeys}
 * compute it (XXH64, seed 0; repeated values sorted and chained through the seed, as Envoy does),
 * but read from the header's stored bytes: gRPC keeps ASCII header values as bytes, and a key with
 * a byte-array marshaller hands them over without decoding a {@code String}. An ASCII value's bytes
 * are its UTF-8 bytes, so the hash is the one {@code PickContext.ofKey(value)} gives. A single value
 * costs no allocation. The byte-array key needs gRPC's {@code InternalMetadata}; should a gRPC
 * version lack it, values are decoded to strings instead (same hash, one allocation more).
 * Immutable; thread-safe.
 */
final class HeaderHash {

  private static final Logger log = LoggerFactory.getLogger(HeaderHash.class);
  private static final LongHashFunction XXH64 = LongHashFunction.xx(0L);

  /** The header's bytes as stored, or null when gRPC offers no byte-array key. */
  private final Metadata.Key<byte[]> raw;
  private final Metadata.Key<String> decoded;

  HeaderHash(Metadata.Key<String> header) {
    this.decoded = header;
    this.raw = rawKey(header.name());
  }

  private static Metadata.Key<byte[]> rawKey(String name) {
    try {
      return InternalMetadata.keyOf(name, Bytes.INSTANCE);
    } catch (LinkageError | RuntimeException e) {
      log.debug("gRPC offers no byte-array header key ({}); hashing decoded header values", e.toString());
      return null;
    }
  }

  /** The header's name. */
  String name() {
    return decoded.name();
  }

  /** The hash of the header's value(s) in {@code headers}, or {@link PickContext#EMPTY} when it has none. */
  PickContext context(Metadata headers) {
    if (raw == null) {
      return decodedContext(headers);
    }
    Iterable<byte[]> values = headers.getAll(raw);
    if (values == null) {
      return PickContext.EMPTY;
    }
    Iterator<byte[]> it = values.iterator();
    byte[] first = it.next();
    if (!it.hasNext()) {
      return PickContext.ofHash(XXH64.hashBytes(first));
    }
    List<byte[]> all = new ArrayList<>();
    all.add(first);
    it.forEachRemaining(all::add);
    // ASCII: unsigned byte order is String order, as PickContext.ofKeys sorts.
    all.sort(Arrays::compareUnsigned);
    long hash = 0;
    for (byte[] v : all) {
      hash = LongHashFunction.xx(hash).hashBytes(v);
    }
    return PickContext.ofHash(hash);
  }

  private PickContext decodedContext(Metadata headers) {
    Iterable<String> values = headers.getAll(decoded);
    if (values == null) {
      return PickContext.EMPTY;
    }
    List<String> all = new ArrayList<>(2);
    values.forEach(all::add);
    return PickContext.ofKeys(all);
  }

  /** Hands a stored ASCII value over as its bytes, without copying or decoding. */
  private enum Bytes implements InternalMetadata.TrustedAsciiMarshaller<byte[]> {
    INSTANCE;

    @Override
    public byte[] toAsciiString(byte[] value) {
      return value;
    }

    @Override
    public byte[] parseAsciiString(byte[] serialized) {
      return serialized;
    }
  }
}
