package io.lb4j.grpc;

import static io.grpc.ConnectivityState.IDLE;
import static io.grpc.ConnectivityState.READY;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.ManagedChannel;
import io.lb4j.Connectivity;
import io.lb4j.Endpoint;
import io.lb4j.EndpointHandle;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One resolved address group of an {@code lb4j_*} balancer: its subchannel, the lb4j endpoint that
 * stands for it from resolution on, and the subchannel's state as pickers read it. It is the
 * attachment of its endpoint's {@link EndpointHandle}, so the picker goes from lb4j's choice to the
 * prebuilt pick result (whose tracer factory holds the handle) without a lookup.
 *
 * <p>Fields without {@code volatile} are read and written only in the channel's synchronization
 * context; pickers read {@link #state} and {@link #ready}, published before the attachment is.
 */
final class GrpcEndpoint implements SubchannelStateListener {

  private static final PickResult QUEUE = PickResult.withNoResult();

  final Subchannel subchannel;
  private final BiConsumer<GrpcEndpoint, ConnectivityStateInfo> onState;
  private final Consumer<GrpcEndpoint> connectFromPicker;
  EquivalentAddressGroup group;
  Endpoint endpoint;
  /** The handle of the current lb4j balancer this entry is attached to, or null. */
  EndpointHandle handle;
  /** The subchannel's latest state; the initial IDLE is not delivered, so it starts there. */
  volatile ConnectivityState state = IDLE;
  /** The pick result for READY: the subchannel with a tracer factory bound to {@link #handle}. */
  volatile PickResult ready;
  /** Whether a picker asked for a connection since the last state change (one request per IDLE spell). */
  volatile boolean connectAsked;
  /** Failed since it was last READY (or IDLE): a CONNECTING retry then stays DISCONNECTED for lb4j. */
  boolean failed;
  /** What lb4j should know, from {@link #state} and {@link #failed}. */
  Connectivity connectivity = Connectivity.CONNECTING;
  /** What the current lb4j balancer was told; null before it was told anything. */
  Connectivity reported;
  /** The out-of-band channel for grpc.health.v1 probes, while health checks are configured. */
  ManagedChannel healthChannel;

  /**
   * @param onState called with each new state, in the synchronization context
   * @param connectFromPicker asked (from a picker's thread) to connect this IDLE subchannel
   */
  GrpcEndpoint(Subchannel subchannel, EquivalentAddressGroup group, Endpoint endpoint,
      BiConsumer<GrpcEndpoint, ConnectivityStateInfo> onState, Consumer<GrpcEndpoint> connectFromPicker) {
    this.subchannel = subchannel;
    this.group = group;
    this.endpoint = endpoint;
    this.onState = onState;
    this.connectFromPicker = connectFromPicker;
  }

  @Override
  public void onSubchannelState(ConnectivityStateInfo info) {
    onState.accept(this, info);
  }

  /**
   * Takes a new subchannel state; returns what lb4j should now know. TRANSIENT_FAILURE is sticky
   * until READY or IDLE (gRPC's pick-first does the same), so that a dead backend's reconnect
   * attempts do not make calls wait for it again and again.
   */
  Connectivity update(ConnectivityState s) {
    state = s;
    connectAsked = false;
    switch (s) {
      case READY -> {
        failed = false;
        connectivity = Connectivity.CONNECTED;
      }
      case TRANSIENT_FAILURE -> {
        failed = true;
        connectivity = Connectivity.DISCONNECTED;
      }
      case IDLE -> {
        failed = false;
        connectivity = Connectivity.CONNECTING; // connects now (eager) or on the first pick (lazy)
      }
      default -> connectivity = failed ? Connectivity.DISCONNECTED : Connectivity.CONNECTING;
    }
    return connectivity;
  }

  /** Asks the subchannel to connect (eagerly, or for a picker); pickers then do not ask again. */
  void connect() {
    connectAsked = true;
    subchannel.requestConnection();
  }

  /**
   * The pick result when lb4j chose this endpoint: the subchannel when READY; otherwise the call
   * waits for the next picker, and an IDLE subchannel is asked to connect (once) first.
   */
  PickResult pick() {
    ConnectivityState s = state;
    if (s == READY) {
      return ready;
    }
    if (s == IDLE && !connectAsked) {
      connectAsked = true;
      connectFromPicker.accept(this);
    }
    return QUEUE;
  }

  @Override
  public String toString() {
    return endpoint.address() + "{" + state + "}";
  }
}
