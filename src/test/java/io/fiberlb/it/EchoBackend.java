package io.fiberlb.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real TCP backend on an ephemeral loopback port: echoes what it receives and, once the client half-closes,
 * appends its name and closes. So a client learns which backend served it and that bytes arrived intact both ways.
 */
public final class EchoBackend implements AutoCloseable {
  public final String name;
  public final AtomicInteger accepted = new AtomicInteger();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private ServerSocket server;
  private Thread acceptor;
  private int port;

  public EchoBackend(String name) throws IOException {
    this.name = name;
    start(0);
  }

  public int port() {
    return port;
  }

  /** Connections open to this backend right now. */
  public int openConnections() {
    return open.size();
  }

  /** Starts listening (again) on {@code port}; 0 picks a free one. */
  public synchronized void start(int wanted) throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 512);
    port = server.getLocalPort();
    ServerSocket s = server;
    acceptor = new Thread(() -> acceptLoop(s), "echo-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket c = s.accept();
        accepted.incrementAndGet();
        open.add(c);
        Thread t = new Thread(() -> serve(c), "echo-" + name + "-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket c) {
    try (c) {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
      out.write(("#" + name).getBytes(StandardCharsets.UTF_8));
      out.flush();
      c.shutdownOutput();
    } catch (IOException ignored) {
      // the client went away
    } finally {
      open.remove(c);
    }
  }

  /** Stops listening and drops every open connection: the backend is dead. */
  public synchronized void stop() throws IOException {
    if (server != null) server.close();
    for (Socket c : open) c.close();
    if (acceptor != null) {
      try {
        acceptor.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() throws IOException {
    stop();
  }
}
