package io.fiberlb.dataplane;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A backend that expects a PROXY protocol header first, as a backend of a PROXY or PROXYV2 pool is configured to
 * (nginx {@code listen ... proxy_protocol}, HAProxy {@code accept-proxy}): it parses the header with Netty's
 * decoder, records what it said, and then echoes the client's bytes until the client half-closes. A connection that
 * does not start with a valid header is recorded as such and closed.
 */
public final class ProxyProtocolBackend implements AutoCloseable {
  /** What one connection's header said; {@code error} is set (and the rest null) when there was no valid header. */
  public record Seen(String version, String command, String protocol, String source, int sourcePort, String destination,
      int destinationPort, String error) {}

  public final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  private final ServerSocket server;

  public ProxyProtocolBackend(InetAddress on) throws IOException {
    server = new ServerSocket(0, 50, on);
    Thread t = new Thread(this::acceptLoop, "proxy-protocol-backend");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
  }

  /** The next connection's header, waiting up to 10 s. */
  public Seen next() throws InterruptedException {
    Seen s = seen.poll(10, TimeUnit.SECONDS);
    if (s == null) throw new AssertionError("the backend saw no connection within 10 s");
    return s;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket c = server.accept();
        Thread t = new Thread(() -> serve(c), "proxy-protocol-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket c) {
    EmbeddedChannel decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
    try (c) {
      c.setSoTimeout(10_000);
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      byte[] buf = new byte[4096];
      HAProxyMessage header = null;
      while (header == null) {
        int n = in.read(buf);
        if (n < 0) {
          seen.add(error("closed before a header"));
          return;
        }
        try {
          decoder.writeInbound(Unpooled.wrappedBuffer(buf.clone(), 0, n));
        } catch (RuntimeException e) {
          seen.add(error("malformed: " + e.getMessage()));
          return;
        }
        Object first = decoder.readInbound();
        if (first instanceof HAProxyMessage m) header = m;
        else if (first != null) throw new IllegalStateException("unexpected " + first);
      }
      seen.add(new Seen(header.protocolVersion().name(), header.command().name(), header.proxiedProtocol().name(),
          header.sourceAddress(), header.sourcePort(), header.destinationAddress(), header.destinationPort(), null));
      header.release();
      // What followed the header in the same read: the decoder hands it on as it leaves the pipeline.
      for (Object rest; (rest = decoder.readInbound()) != null; ) {
        ByteBuf b = (ByteBuf) rest;
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        out.write(bytes);
      }
      for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
      out.flush();
    } catch (IOException e) {
      // the client went away: nothing to echo
    } finally {
      decoder.finishAndReleaseAll();
    }
  }

  private static Seen error(String why) {
    return new Seen(null, null, null, null, 0, null, 0, why);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
