package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.ForwardingSink;
import okio.Okio;
import org.junit.jupiter.api.Test;

class TrackingRequestBodyTest {

  private static final RequestBody HELLO = RequestBody.create("hello", MediaType.get("text/plain"));

  @Test
  void writesEverythingThroughAndKeepsTheBodysProperties() throws IOException {
    TrackingRequestBody body = new TrackingRequestBody(HELLO);
    Buffer out = new Buffer();
    BufferedSink sink = Okio.buffer((okio.Sink) out);
    body.writeTo(sink);
    sink.flush();
    assertEquals("hello", out.readUtf8());
    assertEquals(5, body.contentLength());
    assertEquals(HELLO.contentType(), body.contentType());
    assertFalse(body.isOneShot());
  }

  /** A sink whose every network write fails, as a reset connection's does. */
  private static BufferedSink brokenNetwork() {
    return Okio.buffer(new ForwardingSink(new Buffer()) {
      @Override
      public void write(Buffer source, long byteCount) throws IOException {
        throw new IOException("connection reset");
      }
    });
  }

  @Test
  void aNetworkWriteFailureIsNotLocal() {
    TrackingRequestBody body = new TrackingRequestBody(HELLO);
    BufferedSink broken = brokenNetwork();
    IOException e = assertThrows(IOException.class, () -> {
      body.writeTo(broken);
      broken.flush();
    });
    assertFalse(body.failedLocally(e));
  }

  @Test
  void aFailureOfTheCallersOwnWriteToIsLocalEvenWhenWrapped() {
    IOException own = new IOException("file vanished");
    TrackingRequestBody body = new TrackingRequestBody(new RequestBody() {
      @Override
      public MediaType contentType() {
        return null;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        throw own;
      }
    });
    IOException e = assertThrows(IOException.class, () -> body.writeTo(Okio.buffer((okio.Sink) new Buffer())));
    assertTrue(body.failedLocally(e));
    IOException wrapped = new java.io.InterruptedIOException("timeout");
    wrapped.initCause(own);
    assertTrue(body.failedLocally(wrapped));
    assertFalse(body.failedLocally(new IOException("something else")));
  }

  @Test
  void onlyTheLastWriteOfTheAttemptDecides() throws IOException {
    // OkHttp writes the body again after recovering from a broken connection: the caller's own
    // failure on the second write is still local, whatever the first write met.
    IOException own = new IOException("file vanished on the second write");
    int[] writes = {0};
    TrackingRequestBody body = new TrackingRequestBody(new RequestBody() {
      @Override
      public MediaType contentType() {
        return null;
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        if (++writes[0] > 1) {
          throw own;
        }
        sink.writeUtf8("hello").flush();
      }
    });
    BufferedSink broken = brokenNetwork();
    IOException network = assertThrows(IOException.class, () -> body.writeTo(broken));
    assertFalse(body.failedLocally(network));
    IOException second = assertThrows(IOException.class, () -> body.writeTo(Okio.buffer((okio.Sink) new Buffer())));
    assertTrue(body.failedLocally(second));
  }
}
