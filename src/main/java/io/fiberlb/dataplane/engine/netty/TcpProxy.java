package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One proxied TCP connection on one event loop: the client channel's handler, which connects the backend channel
 * on the same loop and relays both ways.
 *
 * <ul>
 *   <li>What the client sends before a backend is connected is held ({@link #EARLY_LIMIT} at most, then the client
 *       is not read until the backend is connected) and written once it is. A connect that fails (refused, timeout)
 *       is retried on the next candidate ({@link ProxiedConnection#next}), up to three in all: no byte has reached
 *       any backend yet. (Native epoll reads a client that half-closes to the end whatever auto-read says: then the
 *       bound is the socket's receive buffer.)
 *   <li>Backpressure by writability: while one side's outbound buffer is above its high-water mark the other side
 *       is not read, so a slow reader holds at most one read beyond the mark (never an unbounded buffer). One
 *       exception, bounded by the socket's receive buffer: native epoll reads a peer that has sent its FIN to the end
 *       (EPOLLRDHUP), auto-read or not.
 *   <li>Writes are flushed once per read batch (channelReadComplete), not once per read.
 *   <li>Half-close both ways: a FIN from one side becomes a FIN to the other once what was read before it is
 *       written; the connection closes when both sides have finished.
 *   <li>A backend of a PROXY or PROXYV2 pool gets the PROXY protocol header first
 *       ({@link io.fiberlb.dataplane.engine.ProxyHeader}), before any client byte.
 *   <li>Idle: no byte either way for the listener's client or backend idle timeout closes both (one timer per
 *       connection, re-armed lazily rather than touched per read).
 * </ul>
 * Nothing here blocks, logs or asks an actor; counters are lock-free.
 */
final class TcpProxy extends ChannelInboundHandlerAdapter {
  /** Fired on a client channel just before the drain deadline closes it: the connection ends in error. */
  static final Object DRAIN_DEADLINE = new Object();
  /** How long a closing side may take to write what it still holds before it is closed anyway. */
  static final long LINGER_SECONDS = 10;

  private final NettyEngine engine;
  private final ProxiedConnection conn;
  private final io.netty.channel.group.ChannelGroup open;
  /** The connect in flight, cancelled when the client goes away first. */
  private ChannelFuture connecting;
  private final long idleNanos;
  private Channel client;
  private Channel backend;
  private Endpoint endpoint;
  private boolean clientEof;
  private boolean backendEof;
  private boolean error;
  private long lastActive;
  private ScheduledFuture<?> idleTimer;
  /** Client bytes read before the backend was connected. */
  private java.util.ArrayDeque<ByteBuf> early;
  private int earlyBytes;
  /** Client bytes held while the backend connects; past this the client is not read until it is connected. */
  static final int EARLY_LIMIT = 64 * 1024;

  TcpProxy(NettyEngine engine, ProxiedConnection conn, io.netty.channel.group.ChannelGroup open) {
    this.engine = engine;
    this.conn = conn;
    this.open = open;
    var l = conn.config().listener();
    long idle = minPositive(l.timeoutClientIdleMs(), l.timeoutBackendIdleMs());
    this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idle);
  }

  private static long minPositive(long a, long b) {
    if (a <= 0) return Math.max(0, b);
    if (b <= 0) return a;
    return Math.min(a, b);
  }

  // ------------------------------------------------------------------ connecting

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    begin(ctx.channel());
  }

  /**
   * Starts proxying {@code ch}: from {@link #channelActive}, or straight after this handler was added to a channel
   * that is already active (a PROXY protocol header from the client was read first: {@link ProxyProtocolReader}).
   */
  void begin(Channel ch) {
    client = ch;
    lastActive = System.nanoTime();
    if (idleNanos > 0) armIdle(idleNanos);
    connect(null);
  }

  private void connect(Endpoint failed) {
    Endpoint next = conn.next(failed);
    if (next == null) {
      conn.gaveUp();
      error = true;
      client.close();
      return;
    }
    endpoint = next;
    java.net.InetSocketAddress to = conn.address(next);
    if (!to.isUnresolved()) {
      connectTo(to);
      return;
    }
    // A backend named by host: looked up off the loop, then connected from it.
    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new java.net.InetSocketAddress(java.net.InetAddress.getByName(to.getHostString()), to.getPort());
      } catch (java.net.UnknownHostException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, engine.resolver).whenComplete((resolved, err) -> client.eventLoop().execute(() -> {
      if (!client.isActive()) return;
      if (err != null) {
        conn.connectFailed(next, "unresolved");
        connect(next);
      } else {
        connectTo(resolved);
      }
    }));
  }

  private void connectTo(java.net.InetSocketAddress to) {
    int connectTimeout = (int) Math.min(Integer.MAX_VALUE, conn.config().listener().timeoutBackendConnectMs());
    connecting = engine.connectBackend(client.eventLoop(), connectTimeout, new FromBackend(), to);
    connecting.addListener((ChannelFutureListener) this::connected);
  }

  private void connected(ChannelFuture f) {
    connecting = null;
    if (!client.isActive()) { // the client went away (or timed out) while we connected
      f.channel().close();
      return;
    }
    if (!f.isSuccess()) {
      conn.connectFailed(endpoint, ProxiedConnection.reasonOf(f.cause()));
      connect(endpoint);
      return;
    }
    backend = f.channel();
    open.add(backend); // the drain deadline cuts it too
    conn.backendOpened(endpoint);
    HAProxyMessage header = conn.proxyHeader();
    if (header != null) {
      ProxyHeaderWriter.write(backend, header); // a PROXY pool: its header goes first
      if (early == null) backend.flush();
    }
    if (early != null) {
      for (ByteBuf b; (b = early.poll()) != null; ) {
        conn.bytesIn(b.readableBytes());
        backend.write(b, backend.voidPromise());
      }
      backend.flush();
    }
    if (clientEof) finishWrites(backend);
    else if (backend.isWritable()) client.config().setAutoRead(true); // a no-op unless EARLY_LIMIT paused it
  }

  // ------------------------------------------------------------------ client -> backend

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (backend == null) { // read before the backend is connected: held until it is
      if (early == null) early = new java.util.ArrayDeque<>(2);
      ByteBuf b = (ByteBuf) msg;
      early.add(b);
      earlyBytes += b.readableBytes();
      if (earlyBytes >= EARLY_LIMIT) client.config().setAutoRead(false);
      return;
    }
    conn.bytesIn(((ByteBuf) msg).readableBytes());
    backend.write(msg, backend.voidPromise());
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    lastActive = System.nanoTime();
    if (backend != null) backend.flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (backend != null) backend.config().setAutoRead(client.isWritable());
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == DRAIN_DEADLINE) {
      error = true;
      return;
    }
    if (evt instanceof ChannelInputShutdownEvent) {
      clientEof = true;
      if (backendEof) closeBoth(); // both sides done: a close sends the FIN, no shutdown first
      else if (backend != null) finishWrites(backend);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (idleTimer != null) idleTimer.cancel(false);
    if (connecting != null) connecting.channel().close(); // the connect in flight is no longer wanted
    if (early != null) {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
    }
    if (backend != null) {
      if (error) backend.close();
      else closeAfterWrites(backend);
    }
    conn.clientClosed(error);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    error = true; // a reset or a failed write: nothing to log per connection, it is counted
    closeBoth();
  }

  // ------------------------------------------------------------------ backend -> client

  private final class FromBackend extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      conn.bytesOut(((ByteBuf) msg).readableBytes());
      client.write(msg, client.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      lastActive = System.nanoTime();
      client.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      client.config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        backendEof = true;
        if (clientEof) closeBoth(); // both sides done: a close sends the FIN, no shutdown first
        else finishWrites(client);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ctx.channel() == backend) closeAfterWrites(client);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (ctx.channel() != backend) { // a connect attempt: its future reports the failure
        ctx.close();
        return;
      }
      error = true;
      closeBoth();
    }
  }

  // ------------------------------------------------------------------ endings

  /** FIN to {@code ch} once everything written to it before has gone. */
  private static void finishWrites(Channel ch) {
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
      if (ch instanceof DuplexChannel d && ch.isActive()) d.shutdownOutput();
    });
  }

  /**
   * Closes {@code ch} once what was written to it has gone; a peer that reads nothing more gets {@link #LINGER_SECONDS}
   * and is then closed anyway, so no socket outlives its connection for long.
   */
  private static void closeAfterWrites(Channel ch) {
    if (!ch.isActive()) return;
    ChannelFuture written = ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    if (!written.isDone()) ch.eventLoop().schedule(() -> ch.close(), LINGER_SECONDS, TimeUnit.SECONDS);
  }

  private void closeBoth() {
    closeAfterWrites(client);
    if (backend != null) closeAfterWrites(backend);
    if (error) {
      client.close();
      if (backend != null) backend.close();
    }
  }

  private void armIdle(long delayNanos) {
    idleTimer = client.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void checkIdle() {
    if (!client.isActive()) return;
    long quiet = System.nanoTime() - lastActive;
    if (quiet >= idleNanos) {
      error = true;
      closeBoth();
    } else {
      armIdle(idleNanos - quiet);
    }
  }
}
