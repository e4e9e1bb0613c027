package io.fiberlb.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real UDP backend on an ephemeral loopback port: answers each datagram with the same bytes followed by
 * {@code #name}, so a client learns which backend served it and that the bytes arrived intact both ways. A silent
 * one receives and never answers. Stopped, its port is closed: the kernel answers with ICMP port unreachable.
 */
public final class UdpEchoBackend implements AutoCloseable {
  public final String name;
  private final boolean silent;
  /** Datagrams received since start. */
  public final AtomicInteger received = new AtomicInteger();
  /** Every address:port a datagram came from: one per flow of the proxy (each flow has its own socket). */
  public final Set<SocketAddress> senders = ConcurrentHashMap.newKeySet();
  private DatagramSocket socket;
  private Thread thread;
  private int port;

  public UdpEchoBackend(String name) throws IOException {
    this(name, false);
  }

  private UdpEchoBackend(String name, boolean silent) throws IOException {
    this.name = name;
    this.silent = silent;
    start(0);
  }

  /** A backend that reads and never answers. */
  public static UdpEchoBackend silent(String name) throws IOException {
    return new UdpEchoBackend(name, true);
  }

  public int port() {
    return port;
  }

  /** Listens (again) on {@code wanted}; 0 picks a free port. */
  public synchronized void start(int wanted) throws IOException {
    DatagramSocket s = new DatagramSocket(null);
    s.setReceiveBufferSize(1 << 20);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted));
    socket = s;
    port = s.getLocalPort();
    thread = new Thread(() -> serve(s), "udp-echo-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  private void serve(DatagramSocket s) {
    byte[] buf = new byte[65536];
    byte[] tail = ("#" + name).getBytes(StandardCharsets.UTF_8);
    while (!s.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        s.receive(p);
        received.incrementAndGet();
        senders.add(p.getSocketAddress());
        if (silent) continue;
        byte[] answer = Arrays.copyOf(Arrays.copyOfRange(buf, 0, p.getLength()), p.getLength() + tail.length);
        System.arraycopy(tail, 0, answer, p.getLength(), tail.length);
        s.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
      } catch (IOException e) {
        if (s.isClosed()) return; // stopped
      }
    }
  }

  /** Closes the port: the backend is dead. */
  public synchronized void stop() {
    if (socket != null) socket.close();
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }
}
