package io.fiberlb.dataplane.listener;

import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressNetwork;
import inet.ipaddr.IPAddressString;
import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.port.DesiredListener;
import java.net.InetAddress;
import java.util.List;

/**
 * What a running listener needs to serve a connection, swapped whole when anything changes. A change of address or
 * port means a new socket; everything else (pool, limits, CIDRs, timeouts) applies to new connections at once
 * while open ones carry on.
 *
 * @param pool the default pool, or null: connections are then closed at once
 */
public record ListenerConfig(DesiredListener listener, String vip, PoolRuntime pool, List<IPAddress> allowed) {

  public static ListenerConfig of(DesiredListener listener, String vip, PoolRuntime pool) {
    List<IPAddress> cidrs = listener.allowedCidrs().stream()
        .map(c -> new IPAddressString(c).getAddress())
        .filter(a -> a != null)
        .toList();
    return new ListenerConfig(listener, vip, pool, cidrs);
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
