package io.lb4j;

import java.util.List;

/**
 * Feeds a balancer's {@link Peers} from an {@link EndpointSource} of the clients' own
 * registrations ({@link LoadBalancer.Builder#peerSource}): each list becomes
 * {@link Peers#fromList}; a failing source keeps the last peers. Closed with the balancer.
 */
final class PeerTracker {

  private PeerTracker() {}

  /**
   * Starts {@code clients}; closes it when {@code lb} closes. A source that fails to start is logged
   * and closed: the balancer works on, with the peers it had.
   */
  static void start(LoadBalancer lb, EndpointSource clients, Endpoint self) {
    lb.onClose(clients::close);
    try {
      clients.start((List<Endpoint> list) -> {
        try {
          lb.updatePeers(Peers.fromList(list, self));
        } catch (RuntimeException e) {
          BalancerEvents.log.warn("lb={} peer list update failed; keeping the previous peers", lb.name(), e);
        }
      }, error -> BalancerEvents.log.warn("lb={} peer source failed; keeping the previous peers: {}", lb.name(),
          String.valueOf(error)));
    } catch (RuntimeException e) {
      BalancerEvents.log.warn("lb={} peer source did not start; peers stay {}", lb.name(), lb.peers(), e);
      clients.close();
    }
  }
}
