package io.fiberlb.dataplane.engine;

import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.fiberlb.dataplane.stats.TrafficCounters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * One admitted client's view of its pool, engine-neutral: which backend to try next after a failed connect, where
 * to connect, and where its traffic, failures and passive health signals are counted. Used by one thread at a time
 * (the engine's thread for this connection), so it needs no locks; the counters it writes are lock-free.
 */
public final class ProxiedConnection {
  private final ListenerConfig config;
  private final PoolRuntime pool;
  private final Endpoint first;
  private final TrafficCounters listener;
  private String[] tried = new String[Admission.MAX_ATTEMPTS];
  private int attempts;
  private Endpoint slotOf;
  private PoolRuntime.Slot slot;
  private Endpoint connected;
  private boolean closed;
  private final InetSocketAddress client;
  private final InetSocketAddress destination;

  ProxiedConnection(ListenerConfig config, PoolRuntime pool, Endpoint first, TrafficCounters listener,
      InetSocketAddress client, InetSocketAddress destination) {
    this.config = config;
    this.pool = pool;
    this.first = first;
    this.listener = listener;
    this.client = client;
    this.destination = destination;
  }

  /**
   * The PROXY protocol header each new connection to a backend of this pool starts with (a new one per call, which
   * the caller writes or releases), or null when the pool's protocol is not PROXY/PROXYV2 or the engine did not say
   * where the client connected to.
   */
  public io.netty.handler.codec.haproxy.HAProxyMessage proxyHeader() {
    if (destination == null) return null;
    return ProxyHeader.message(ProxyHeader.versionFor(pool.protocol()), client, destination);
  }

  /** The configuration this connection was admitted with (timeouts). */
  public ListenerConfig config() {
    return config;
  }

  /**
   * The backend for the next attempt, or null when there is none left (then call {@link #gaveUp}). The first
   * attempt is the balancer's pick; after a failed connect, the next eligible candidate in the pool's order after
   * {@code failed} that was not tried yet, up to {@link Admission#MAX_ATTEMPTS} in all.
   */
  public Endpoint next(Endpoint failed) {
    if (attempts >= Admission.MAX_ATTEMPTS) return null;
    if (attempts == 0) return tried(first);
    List<Endpoint> candidates = pool.balancer().candidates();
    int start = 0;
    for (int i = 0; i < candidates.size(); i++) {
      if (failed != null && candidates.get(i).key().equals(failed.key())) start = i + 1;
    }
    for (int i = 0; i < candidates.size(); i++) {
      Endpoint e = candidates.get((start + i) % candidates.size());
      if (!wasTried(e.key())) return tried(e);
    }
    return null;
  }

  public int attempts() {
    return attempts;
  }

  private Endpoint tried(Endpoint e) {
    tried[attempts++] = e.key();
    return e;
  }

  private boolean wasTried(String key) {
    for (int i = 0; i < attempts; i++) {
      if (tried[i].equals(key)) return true;
    }
    return false;
  }

  /** Where to connect for {@code e}: worked out once per configuration by the runtime. */
  public InetSocketAddress address(Endpoint e) {
    PoolRuntime.Slot s = slot(e);
    return s != null ? s.address() : addressOf(e);
  }

  private PoolRuntime.Slot slot(Endpoint e) {
    if (e != slotOf) {
      slotOf = e;
      slot = pool.slot(e);
    }
    return slot;
  }

  /** A connect to {@code e} failed ("refused", "timeout" or "unreachable"): counted and told to its monitor. */
  public void connectFailed(Endpoint e, String reason) {
    PoolRuntime.Slot s = slot(e);
    if (s == null) return;
    s.counters().connectFailures.increment();
    if (s.monitor() != null) s.monitor().tell(new HealthMonitor.PassiveFailure(reason + " (passive)"));
  }

  /** Connected to {@code e}: the backend connection counts from here until {@link #clientClosed}. */
  public void backendOpened(Endpoint e) {
    connected = e;
    e.connectionOpened();
    PoolRuntime.Slot s = slot(e);
    if (s != null) s.counters().opened();
  }

  /** No attempt connected: the client is closed. */
  public void gaveUp() {
    listener.connectFailures.increment();
  }

  /** Client to backend bytes. */
  public void bytesIn(int n) {
    listener.bytesIn.add(n);
    PoolRuntime.Slot s = connected == null ? null : slot(connected);
    if (s != null) s.counters().bytesIn.add(n);
  }

  /** Backend to client bytes. */
  public void bytesOut(int n) {
    listener.bytesOut.add(n);
    PoolRuntime.Slot s = connected == null ? null : slot(connected);
    if (s != null) s.counters().bytesOut.add(n);
  }

  /**
   * The client connection ended (and with it the backend connection, if any); {@code error} when it ended in a
   * failure (reset, timeout, no backend). Idempotent: only the first call counts.
   */
  public void clientClosed(boolean error) {
    if (closed) return;
    closed = true;
    if (connected != null) {
      connected.connectionClosed();
      PoolRuntime.Slot s = slot(connected);
      if (s != null) {
        s.counters().closed();
        if (error) s.counters().errors.increment();
      }
    }
    listener.closed();
    if (error) listener.errors.increment();
  }

  /** An IP literal needs no lookup; a host name is left unresolved for the engine to resolve off this thread. */
  public static InetSocketAddress addressOf(Endpoint e) {
    if (new inet.ipaddr.IPAddressString(e.address()).isIPAddress()) {
      try {
        return new InetSocketAddress(InetAddress.getByName(e.address()), e.port());
      } catch (UnknownHostException ex) {
        throw new IllegalStateException(ex);
      }
    }
    return InetSocketAddress.createUnresolved(e.address(), e.port());
  }

  /**
   * A short, stable reason for a failed connect, as health checks name them: "refused", "timeout", "unresolved" or
   * "unreachable" (no route, and anything else: a local error such as no free port is not called "refused").
   */
  public static String reasonOf(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof java.net.UnknownHostException) return "unresolved";
      if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.SocketTimeoutException
          || t.getClass().getSimpleName().equals("ConnectTimeoutException")) {
        return "timeout";
      }
      String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (m.contains("refused")) return "refused";
      if (m.contains("timeout") || m.contains("timed out")) return "timeout";
    }
    return "unreachable";
  }
}
