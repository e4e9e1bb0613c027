package io.fiberlb.dataplane.engine;

import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.balance.ConnectionKey;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.fiberlb.dataplane.stats.TrafficCounters;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The per-connection rules of one listener, written once for every engine: an engine asks {@link #admit} for each
 * accepted client and either closes it at once (refused, already counted) or proxies it as the returned
 * {@link ProxiedConnection} says.
 *
 * <p>In this order: allowed_cidrs, connection_limit (an atomic count of open connections; of open flows for UDP),
 * then the default pool's balancer picks. No actor is asked and nothing is logged: this runs on an engine's I/O thread for every connection.
 * The configuration is read from an {@link AtomicReference} the listener actor swaps, so a change applies to the
 * next connection while open ones keep the configuration they were admitted with.
 */
public final class Admission {
  /** Connects tried per client: the balancer's pick and up to two more candidates. */
  public static final int MAX_ATTEMPTS = 3;

  private final AtomicReference<ListenerConfig> config;
  private final TrafficCounters counters;

  public Admission(AtomicReference<ListenerConfig> config, TrafficCounters counters) {
    this.config = config;
    this.counters = counters;
  }

  public ListenerConfig config() {
    return config.get();
  }

  public TrafficCounters counters() {
    return counters;
  }

  /**
   * Decides on one new client. Null: refused (counted as rejected); the engine closes it at once. Otherwise the
   * client counts as an open connection until {@link ProxiedConnection#clientClosed} is called exactly once.
   */
  public ProxiedConnection admit(InetSocketAddress remote) {
    return admit(remote, null, -1);
  }

  /**
   * As {@link #admit(InetSocketAddress)}, knowing where the client connected to ({@code destination}: the listener's
   * address, or the one a PROXY protocol header from the client named), for the PROXY header a PROXY pool's
   * backends get ({@link ProxiedConnection#proxyHeader}). {@code client} is the header's source when the listener
   * accepts the PROXY protocol: allowed CIDRs and source-hash balancing apply to it.
   */
  public ProxiedConnection admit(InetSocketAddress client, InetSocketAddress destination) {
    return admit(client, destination, -1);
  }

  /**
   * Decides on one new UDP flow (the first datagram from a client address and port with no flow yet), as
   * {@link #admit(InetSocketAddress)} does for a connection: connection_limit caps the flows open at once, and
   * {@code maxFlows} caps them when the listener sets no limit, so that a flood of source ports cannot grow the flow
   * table without bound.
   */
  public ProxiedConnection admitFlow(InetSocketAddress remote, long maxFlows) {
    return admit(remote, null, maxFlows);
  }

  /**
   * Decides on one new HTTP client connection: allowed_cidrs and connection_limit as for TCP, but no backend is
   * picked here (each request picks its own). True: admitted, counted as open until {@link #httpClosed} is called
   * once; false: refused (counted), the engine closes it at once.
   */
  public boolean admitHttp(InetSocketAddress remote) {
    ListenerConfig cfg = config.get();
    if (!cfg.allows(remote.getAddress())) {
      refuse();
      return false;
    }
    long open = counters.active.incrementAndGet();
    long limit = cfg.listener().connectionLimit();
    if (limit >= 0 && open > limit) {
      counters.active.decrementAndGet();
      refuse();
      return false;
    }
    counters.total.increment();
    return true;
  }

  /** An admitted HTTP client connection ended; {@code error} when in a failure (reset, idle timeout). */
  public void httpClosed(boolean error) {
    counters.closed();
    if (error) counters.errors.increment();
  }

  private ProxiedConnection admit(InetSocketAddress remote, InetSocketAddress destination, long limitWhenUnlimited) {
    ListenerConfig cfg = config.get();
    if (!cfg.allows(remote.getAddress())) return refuse();
    long open = counters.active.incrementAndGet();
    long limit = cfg.listener().connectionLimit() >= 0 ? cfg.listener().connectionLimit() : limitWhenUnlimited;
    if (limit >= 0 && open > limit) {
      counters.active.decrementAndGet();
      return refuse();
    }
    PoolRuntime pool = cfg.pool();
    Endpoint first;
    try {
      first = pool == null ? null : pool.balancer().pick(ConnectionKey.of(remote));
    } catch (RuntimeException e) { // a bug in a balancer must not leak an open-connection count
      counters.active.decrementAndGet();
      throw e;
    }
    if (first == null) {
      counters.active.decrementAndGet();
      return refuse();
    }
    counters.total.increment();
    return new ProxiedConnection(cfg, pool, first, counters, remote, destination);
  }

  private ProxiedConnection refuse() {
    counters.rejected.increment();
    return null;
  }
}
