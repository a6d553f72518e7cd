package io.lb4j.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.lb4j.EndpointSource;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * Bridges any lb4j {@link EndpointSource} (DNS, ZooKeeper, your own registry) into gRPC as a name
 * resolver for a scheme of your choice:
 *
 * <pre>{@code
 * NameResolverRegistry.getDefaultRegistry().register(
 *     EndpointSourceNameResolverProvider.of("zk", uri -> ZooKeeperEndpointSource.create(curator, "/services", uri.getPath().substring(1))));
 * ManagedChannel ch = ManagedChannelBuilder.forTarget("zk:///orders").defaultLoadBalancingPolicy("lb4j_p2c").usePlaintext().build();
 * }</pre>
 *
 * <p>Each resolver starts its own source. Every list the source delivers reaches the channel with
 * weights and zones as {@link Lb4jGrpc#WEIGHT_KEY} / {@link Lb4jGrpc#ZONE_KEY}. The first error of
 * a failure streak (until the source delivers a list again) reaches the channel as
 * {@code UNAVAILABLE}, whose description names the source and the reason, while the channel keeps
 * the last good list; later errors of the streak do not (the source logs each at DEBUG), and the
 * status carries no cause, because gRPC logs every resolution error as a WARNING with its cause's
 * full stack trace. {@code refresh()} re-delivers the last good list. The source is closed when the channel shuts
 * the resolver down. Priority 4 (below {@code dns}). Thread-safe.
 */
public final class EndpointSourceNameResolverProvider extends NameResolverProvider {

  private final String scheme;
  private final Function<URI, ? extends EndpointSource> sources;

  private EndpointSourceNameResolverProvider(String scheme, Function<URI, ? extends EndpointSource> sources) {
    this.scheme = scheme;
    this.sources = sources;
  }

  /**
   * A provider for {@code scheme} whose resolvers take their endpoints from {@code sources.apply(target)}.
   *
   * @throws IllegalArgumentException if the scheme is blank or not a valid URI scheme, or sources is null
   */
  public static EndpointSourceNameResolverProvider of(String scheme, Function<URI, ? extends EndpointSource> sources) {
    if (scheme == null || !scheme.matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      throw new IllegalArgumentException("scheme must be a URI scheme such as \"zk\", was " + scheme);
    }
    if (sources == null) {
      throw new IllegalArgumentException("sources must not be null");
    }
    return new EndpointSourceNameResolverProvider(scheme, sources);
  }

  /** A resolver for a target of this provider's scheme, or null for another scheme. */
  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!scheme.equals(targetUri.getScheme())) {
      return null;
    }
    EndpointSource source = sources.apply(targetUri);
    if (source == null) {
      throw new IllegalArgumentException("no endpoint source for target '" + targetUri + "'");
    }
    String authority = targetUri.getAuthority() != null && !targetUri.getAuthority().isEmpty()
        ? targetUri.getAuthority() : targetUri.getPath() == null ? scheme : targetUri.getPath().replaceFirst("^/", "");
    return new SourceResolver(authority.isEmpty() ? scheme : authority, source, args.getSynchronizationContext());
  }

  @Override
  public String getDefaultScheme() {
    return scheme;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /** 4: below {@code dns}, so this provider never becomes the default scheme. */
  @Override
  protected int priority() {
    return 4;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  /** Feeds a source's lists into gRPC; all listener calls hop into the synchronization context. */
  static final class SourceResolver extends NameResolver {
    private final String authority;
    private final EndpointSource source;
    private final SynchronizationContext sync;
    private Listener2 listener;
    private List<EquivalentAddressGroup> lastGood; // only touched in the sync context
    private boolean failing; // a failure streak is on; only touched in the sync context
    private boolean shutdown;

    SourceResolver(String authority, EndpointSource source, SynchronizationContext sync) {
      this.authority = authority;
      this.source = source;
      this.sync = sync;
    }

    @Override
    public String getServiceAuthority() {
      return authority;
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      source.start(
          endpoints -> {
            List<EquivalentAddressGroup> groups = endpoints.stream().map(Addresses::toGroup).toList();
            sync.execute(() -> {
              failing = false;
              deliver(groups);
            });
          },
          error -> sync.execute(() -> {
            if (!shutdown && !failing) {
              failing = true;
              listener.onError(Status.UNAVAILABLE
                  .withDescription("endpoint source " + source + " failed: " + error));
            }
          }));
    }

    private void deliver(List<EquivalentAddressGroup> groups) {
      if (shutdown) {
        return;
      }
      lastGood = groups;
      listener.onResult2(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
    }

    @Override
    public void refresh() {
      if (lastGood != null) {
        deliver(lastGood);
      }
    }

    @Override
    public void shutdown() {
      if (!shutdown) {
        shutdown = true;
        source.close();
      }
    }
  }

  @Override
  public String toString() {
    return "EndpointSourceNameResolverProvider{scheme=" + scheme + "}";
  }
}
