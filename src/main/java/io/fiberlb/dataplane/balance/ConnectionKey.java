package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Hashing;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The client side of one incoming connection: what hashing balancers and session affinity key on.
 *
 * <p>The hashes are computed once here, when the connection is accepted, so that a pick does no hashing of
 * addresses and allocates nothing. They depend only on the address bytes and the port (see {@link Hashing}), so
 * every node computes the same ones. An IPv4 client seen as an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d})
 * is the same client: {@link InetAddress} already gives such an address as an {@code Inet4Address}.
 */
public final class ConnectionKey {
  private final InetAddress clientAddress;
  private final int clientPort;
  private final long addressHash;
  private final long addressPortHash;

  private ConnectionKey(InetAddress clientAddress, int clientPort) {
    this.clientAddress = Objects.requireNonNull(clientAddress, "clientAddress");
    if (clientPort < 0 || clientPort > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + clientPort);
    }
    this.clientPort = clientPort;
    this.addressHash = Hashing.hash64(clientAddress.getAddress(), Hashing.SEED_CLIENT);
    this.addressPortHash = Hashing.combine(addressHash, clientPort);
  }

  public static ConnectionKey of(InetAddress clientAddress, int clientPort) {
    return new ConnectionKey(clientAddress, clientPort);
  }

  /** From the remote address of an accepted connection; it must be resolved (it always is for an accepted one). */
  public static ConnectionKey of(InetSocketAddress remote) {
    if (remote.isUnresolved()) throw new IllegalArgumentException("unresolved client address: " + remote);
    return new ConnectionKey(remote.getAddress(), remote.getPort());
  }

  public InetAddress clientAddress() {
    return clientAddress;
  }

  public int clientPort() {
    return clientPort;
  }

  /** Hash of the client address only: SOURCE_IP and session affinity. */
  long addressHash() {
    return addressHash;
  }

  /** Hash of address and port: SOURCE_IP_PORT and MAGLEV (one client connection = one flow). */
  long addressPortHash() {
    return addressPortHash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConnectionKey k && k.clientPort == clientPort && k.clientAddress.equals(clientAddress);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(addressPortHash);
  }

  @Override
  public String toString() {
    String a = clientAddress.getHostAddress();
    return (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + clientPort;
  }
}
