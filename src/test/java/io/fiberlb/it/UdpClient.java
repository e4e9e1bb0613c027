package io.fiberlb.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A test client of a UDP listener: one socket on loopback (one source port, so one flow), connected to the VIP, so
 * that it only hears the VIP and learns of an ICMP port unreachable. Every receive is bounded by a timeout.
 */
public final class UdpClient implements AutoCloseable {
  private final DatagramSocket socket;

  public UdpClient(String host, int port, int timeoutMs) throws IOException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    socket.setReceiveBufferSize(1 << 20);
    socket.setSoTimeout(timeoutMs);
    socket.connect(new InetSocketAddress(host, port));
  }

  public int localPort() {
    return socket.getLocalPort();
  }

  /** Sends {@code payload} and returns the answer; a {@link SocketTimeoutException} when none came in time. */
  public byte[] exchange(byte[] payload) throws IOException {
    socket.send(new DatagramPacket(payload, payload.length));
    return receive();
  }

  public byte[] receive() throws IOException {
    byte[] buf = new byte[65536];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    socket.receive(p);
    return Arrays.copyOf(buf, p.getLength());
  }

  /** The backend that answered a one-byte datagram: the name after '#'. */
  public String whoServes() throws IOException {
    String answer = new String(exchange(new byte[] {'x'}), StandardCharsets.UTF_8);
    int i = answer.indexOf('#');
    if (!answer.startsWith("x") || i < 0) throw new IOException("unexpected answer '" + answer + "'");
    return answer.substring(i + 1);
  }

  @Override
  public void close() {
    socket.close();
  }
}
