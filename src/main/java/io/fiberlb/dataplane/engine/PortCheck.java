package io.fiberlb.dataplane.engine;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether some other socket already holds a VIP:port, asked just before a listener binds its own sockets.
 *
 * <p>Why: the engines bind with SO_REUSEPORT (one socket per event loop or acceptor), and Linux lets a second
 * process of the same user bind the same address and port with SO_REUSEPORT too; the kernel would then split the
 * VIP's clients between the two, and both would say ONLINE. A plain socket (no SO_REUSEPORT) cannot share the port
 * with any socket, reuse-port or not, so binding one for a moment tells whether the port is free; the listener then
 * reports "address already in use" and binds again with backoff, as for any taken port. Another FiberLB process
 * makes the same check before it binds, so two of them never serve one VIP:port. (Between the check and the bind a
 * third party could still slip in; the window is a few microseconds.)
 */
public final class PortCheck {
  private PortCheck() {}

  /** Null when {@code at} is free for a TCP listener; otherwise why not, e.g. "address already in use". */
  public static String tcpHeldElsewhere(InetSocketAddress at) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true); // a closed listener's TIME_WAIT connections do not count as holding the port
      probe.bind(at, 1);
      return null;
    } catch (IOException e) {
      return describe(e);
    }
  }

  /** Null when {@code at} is free for a UDP listener; otherwise why not. */
  public static String udpHeldElsewhere(InetSocketAddress at) {
    try (DatagramSocket probe = new DatagramSocket(null)) {
      probe.bind(at);
      return null;
    } catch (IOException e) {
      return describe(e);
    }
  }

  private static String describe(IOException e) {
    String m = String.valueOf(e.getMessage());
    return m.toLowerCase(java.util.Locale.ROOT).contains("in use") ? "Address already in use" : m;
  }
}
