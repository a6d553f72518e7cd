package io.lb4j;

import java.nio.ByteOrder;
import net.openhft.hashing.Access;

/**
 * Lets XXH64 read an ASCII {@link CharSequence} as its UTF-8 bytes (one byte per char) in place,
 * so {@link PickContext#ofKey} hashes a key without copying it into a byte array.
 */
final class AsciiAccess extends Access<CharSequence> {

  static final AsciiAccess LITTLE = new AsciiAccess(ByteOrder.LITTLE_ENDIAN);
  private static final AsciiAccess BIG = new AsciiAccess(ByteOrder.BIG_ENDIAN);

  private final ByteOrder order;

  private AsciiAccess(ByteOrder order) {
    this.order = order;
  }

  @Override
  public int getByte(CharSequence input, long offset) {
    return (byte) input.charAt((int) offset);
  }

  @Override
  public long getLong(CharSequence input, long offset) {
    int i = (int) offset;
    long v = 0;
    if (order == ByteOrder.LITTLE_ENDIAN) {
      for (int b = 7; b >= 0; b--) {
        v = (v << 8) | (input.charAt(i + b) & 0xffL);
      }
    } else {
      for (int b = 0; b < 8; b++) {
        v = (v << 8) | (input.charAt(i + b) & 0xffL);
      }
    }
    return v;
  }

  @Override
  public long getUnsignedInt(CharSequence input, long offset) {
    int i = (int) offset;
    long v = 0;
    if (order == ByteOrder.LITTLE_ENDIAN) {
      for (int b = 3; b >= 0; b--) {
        v = (v << 8) | (input.charAt(i + b) & 0xffL);
      }
    } else {
      for (int b = 0; b < 4; b++) {
        v = (v << 8) | (input.charAt(i + b) & 0xffL);
      }
    }
    return v;
  }

  @Override
  public int getInt(CharSequence input, long offset) {
    return (int) getUnsignedInt(input, offset);
  }

  @Override
  public ByteOrder byteOrder(CharSequence input) {
    return order;
  }

  @Override
  protected Access<CharSequence> reverseAccess() {
    return order == ByteOrder.LITTLE_ENDIAN ? BIG : LITTLE;
  }
}
