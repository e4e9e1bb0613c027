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
 * decoder, records what it said, and then echoes the client's bytes until the client half-closes, or, made with
 * {@link #http}, answers HTTP/1.1 keep-alive requests with what the header said ({@code version=}, {@code source=
 * ip:port}, {@code connection=N}: the how-manieth connection this backend accepted) and the request's path and
 * headers ({@code path=}, {@code h:name=value}), one line each. A connection that does not start with a valid header
 * is recorded as such and closed.
 */
public final class ProxyProtocolBackend implements AutoCloseable {
  /** What one connection's header said; {@code error} is set (and the rest null) when there was no valid header. */
  public record Seen(String version, String command, String protocol, String source, int sourcePort, String destination,
      int destinationPort, String error) {}

  public final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  private final ServerSocket server;
  private final boolean http;
  private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

  public ProxyProtocolBackend(InetAddress on) throws IOException {
    this(on, false);
  }

  private ProxyProtocolBackend(InetAddress on, boolean http) throws IOException {
    this.http = http;
    server = new ServerSocket(0, 50, on);
    Thread t = new Thread(this::acceptLoop, "proxy-protocol-backend");
    t.setDaemon(true);
    t.start();
  }

  /** A backend that answers HTTP/1.1 after the header (see the class comment), on loopback. */
  public static ProxyProtocolBackend http() throws IOException {
    return new ProxyProtocolBackend(InetAddress.getLoopbackAddress(), true);
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
        int number = accepted.incrementAndGet();
        Thread t = new Thread(() -> serve(c, number), "proxy-protocol-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket c, int number) {
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
      Seen s = new Seen(header.protocolVersion().name(), header.command().name(), header.proxiedProtocol().name(),
          header.sourceAddress(), header.sourcePort(), header.destinationAddress(), header.destinationPort(), null);
      seen.add(s);
      header.release();
      if (http) {
        java.io.ByteArrayOutputStream rest = new java.io.ByteArrayOutputStream();
        for (Object r; (r = decoder.readInbound()) != null; ) {
          ByteBuf b = (ByteBuf) r;
          byte[] bytes = new byte[b.readableBytes()];
          b.readBytes(bytes);
          b.release();
          rest.write(bytes);
        }
        answerHttp(new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(rest.toByteArray()), in), out,
            "version=" + s.version() + "\nsource=" + s.source() + ":" + s.sourcePort() + "\nconnection=" + number
                + "\n");
        return;
      }
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

  /** HTTP/1.1 requests (bodies by Content-Length only), each answered with {@code about} and its path and headers. */
  private static void answerHttp(InputStream in, OutputStream out, String about) throws IOException {
    var reader = new java.io.DataInputStream(new java.io.BufferedInputStream(in));
    while (true) {
      String line = line(reader);
      if (line == null) return;
      StringBuilder body = new StringBuilder(about).append("path=").append(line.split(" ")[1]).append('\n');
      long length = 0;
      for (String h; (h = line(reader)) != null && !h.isEmpty(); ) {
        int colon = h.indexOf(':');
        String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        if (name.equals("content-length")) length = Long.parseLong(value);
        body.append("h:").append(name).append('=').append(value).append('\n');
      }
      reader.skipNBytes(length);
      byte[] b = body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.write(b);
      out.flush();
    }
  }

  /** One CRLF-terminated line, without its end; null at the end of the stream. */
  private static String line(java.io.DataInputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) return sb.length() == 0 ? null : sb.toString();
      if (c != '\r') sb.append((char) c);
    }
    return sb.toString();
  }

  private static Seen error(String why) {
    return new Seen(null, null, null, null, 0, null, 0, why);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
