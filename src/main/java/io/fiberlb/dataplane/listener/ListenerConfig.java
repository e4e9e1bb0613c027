package io.fiberlb.dataplane.listener;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressNetwork;
import inet.ipaddr.IPAddressString;
import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.engine.netty.TlsTermination;
import io.fiberlb.dataplane.l7.RoutingTable;
import io.fiberlb.port.DesiredListener;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;

/**
 * What a running listener needs to serve a connection, swapped whole when anything changes. A change of address or
 * port means a new socket; everything else (pool, limits, CIDRs, timeouts) applies to new connections at once
 * while open ones carry on.
 *
 * @param pool the default pool, or null: connections are then closed at once (HTTP: requests get 503)
 * @param routes HTTP and TERMINATED_HTTPS: the compiled L7 policies (swapped with the rest of this record, so a
 *     request sees one table whole); null for TCP and UDP
 * @param tls TERMINATED_HTTPS: where each accepted connection's TLS handler comes from; null otherwise (and while
 *     the listener's certificates are not available, which keeps a TERMINATED_HTTPS listener from binding)
 */
public record ListenerConfig(DesiredListener listener, String vip, PoolRuntime pool, List<IPAddress> allowed,
    RoutingTable routes, TlsTermination tls) {

  /** A TCP or UDP listener's configuration. */
  public static ListenerConfig of(DesiredListener listener, String vip, PoolRuntime pool) {
    return new ListenerConfig(listener, vip, pool, cidrs(listener), null, null);
  }

  /** An HTTP or TERMINATED_HTTPS listener's configuration: its policies compiled over the running {@code pools}. */
  public static ListenerConfig http(DesiredListener listener, String vip, Map<String, PoolRuntime> pools,
      TlsTermination tls) {
    RoutingTable routes = RoutingTable.compile(listener, pools);
    return new ListenerConfig(listener, vip, routes.defaultPool(), cidrs(listener), routes, tls);
  }

  /** Whether this listener speaks HTTP (HTTP or TERMINATED_HTTPS): its connections go to the HTTP engine. */
  public boolean http() {
    return routes != null;
  }

  private static List<IPAddress> cidrs(DesiredListener listener) {
    return listener.allowedCidrs().stream()
        .map(c -> new IPAddressString(c).getAddress())
        .filter(a -> a != null)
        .toList();
  }

  private static final IPAddressNetwork.IPAddressGenerator FROM_BYTES = new IPAddressNetwork.IPAddressGenerator();

  /** allowed_cidrs: empty allows every client. The client's address is taken from its bytes, not re-parsed. */
  public boolean allows(InetAddress client) {
    if (allowed.isEmpty()) return true;
    IPAddress a = FROM_BYTES.from(client);
    for (IPAddress cidr : allowed) {
      if (cidr.contains(a)) return true;
    }
    return false;
  }

  /** Whether moving from {@code other} to this needs a new socket. */
  public boolean sameSocket(ListenerConfig other) {
    return other != null && other.vip.equals(vip) && other.listener.protocolPort() == listener.protocolPort()
        && other.listener.protocol() == listener.protocol()
        // What the engine reads first on each connection: the pekko engine cannot read a PROXY header (refused at bind)
        && other.listener.acceptProxyProtocol() == listener.acceptProxyProtocol();
  }
}
