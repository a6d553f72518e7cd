package io.lb4j;

import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The pickers a {@link Routing.Plan} adds around the policy's: a weighted choice among pickers
 * (priority levels, zones) and an aperture's edge (an endpoint the arc cuts takes only part of a
 * share). Immutable; picks take no lock and allocate nothing.
 */
final class RoutePickers {

  /** Draws per request before an edge endpoint is accepted regardless. */
  static final int EDGE_DRAWS = 4;

  private RoutePickers() {}

  /** Child {@code i} with probability {@code weight[i] / Σ}; see {@link Draws#draw}. */
  static final class Choice implements Picker {
    private final long[] cumulative;
    private final Picker[] children;
    private final long salt;

    Choice(int[] weights, Picker[] children, long salt) {
      this.cumulative = new long[weights.length];
      long sum = 0;
      for (int i = 0; i < weights.length; i++) {
        sum += weights[i];
        cumulative[i] = sum;
      }
      this.children = children.clone();
      this.salt = salt;
    }

    @Override
    public EndpointView pick(PickContext ctx) {
      return children[child(Draws.draw(ctx, salt, cumulative[cumulative.length - 1]))].pick(ctx);
    }

    @Override
    public EndpointView pickByHash(long hash) {
      return children[child(Draws.draw(hash, salt, cumulative[cumulative.length - 1]))].pickByHash(hash);
    }

    private int child(long v) {
      for (int i = 0; i < cumulative.length; i++) {
        if (v < cumulative[i]) {
          return i;
        }
      }
      return children.length - 1;
    }
  }

  /**
   * The policy's picker over an aperture whose edge endpoints take a part {@code share} of a full
   * share: such a pick is kept with probability {@code share}, else the policy picks again (at most
   * {@link #EDGE_DRAWS} draws). A request with a hash is never redrawn: its key must stay put.
   */
  static final class Edges implements Picker {
    private final Picker inner;
    private final EndpointView[] edges;
    private final double[] shares;

    Edges(Picker inner, EndpointView[] edges, double[] shares) {
      this.inner = inner;
      this.edges = edges.clone();
      this.shares = shares.clone();
    }

    @Override
    public EndpointView pick(PickContext ctx) {
      EndpointView v = inner.pick(ctx);
      for (int draw = 1; draw < EDGE_DRAWS && !ctx.hasHash(); draw++) {
        double share = share(v);
        if (share >= 1.0 || ThreadLocalRandom.current().nextDouble() < share) {
          return v;
        }
        v = inner.pick(ctx);
      }
      return v;
    }

    @Override
    public EndpointView pickByHash(long hash) {
      return inner.pickByHash(hash); // a key is never redrawn
    }

    private double share(EndpointView v) {
      for (int i = 0; i < edges.length; i++) {
        if (edges[i] == v) {
          return shares[i];
        }
      }
      return 1.0;
    }
  }
}
