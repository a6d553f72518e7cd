package io.lb4j.health;

import io.lb4j.Endpoint;
import java.util.concurrent.CompletionStage;

/** TODO(health issue): a real socket connect with a timeout. */
public final class TcpConnectProbe implements HealthProbe {

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
