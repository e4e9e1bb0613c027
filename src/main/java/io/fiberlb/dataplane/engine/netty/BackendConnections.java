package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.PoolRuntime;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The idle HTTP/1.1 backend connections of one event loop, by backend: a request takes one (or connects a new one
 * on its own loop), and gives it back when the response has ended with the connection still keep-alive, for the
 * next request of any client on the same loop. One instance per loop (a {@link FastThreadLocal}), touched only by
 * that loop's thread: no lock, and no byte of a connection ever crosses threads. An idle connection is closed after
 * the listener's backend idle timeout, or when the backend closes it; at most {@link #MAX_IDLE} wait per backend.
 *
 * <p>A client connection has an instance of its own too ({@link HttpServer.Connection#own}), for the connections to
 * backends of a PROXY or PROXYV2 pool: each starts with a PROXY protocol header naming one client, so it serves that
 * client connection's later requests only (HAProxy marks such connections private) and is closed with it.
 */
final class BackendConnections {
  /** Idle connections kept per backend per event loop; one more is closed instead. */
  static final int MAX_IDLE = 64;
  /** How long an idle connection waits for its next request when the listener sets no backend idle timeout. */
  static final long DEFAULT_IDLE_MS = 60_000;

  private static final FastThreadLocal<BackendConnections> LOOP = new FastThreadLocal<>() {
    @Override
    protected BackendConnections initialValue() {
      return new BackendConnections();
    }
  };

  private final Map<Key, ArrayDeque<Channel>> idle = new HashMap<>();

  /** Which idle connections a request may take: the backend's id and address, so two backends never share one. */
  record Key(String backendId, java.net.InetSocketAddress to) {}

  /** The calling event loop's connections. */
  static BackendConnections ofThisLoop() {
    return LOOP.get();
  }

  /** Where idle connections of one backend are kept (no string is built per request: a record of the two). */
  static Key key(PoolRuntime.Slot slot, java.net.InetSocketAddress to) {
    return new Key(slot == null ? "" : slot.backendId(), to);
  }

  /** Closes every idle connection (a client connection's own ones, when it closes). */
  void closeAll() {
    if (idle.isEmpty()) return; // the usual case at every client close: nothing of its own was ever kept
    var all = new java.util.ArrayList<Channel>();
    idle.values().forEach(all::addAll);
    idle.clear();
    all.forEach(Channel::close);
  }

  /** An open idle connection for {@code key}, or null. */
  Channel take(Key key) {
    ArrayDeque<Channel> q = idle.get(key);
    if (q == null) return null;
    for (Channel ch; (ch = q.pollLast()) != null; ) { // the most recently used: the least likely to have timed out
      if (ch.isActive()) return ch;
    }
    return null;
  }

  /** {@code ch}'s response has ended and it is keep-alive: it waits for the next request, or is closed. */
  void give(Key key, Channel ch, long idleMs) {
    BackendLink link = link(ch);
    link.owner = null;
    ArrayDeque<Channel> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
    if (!ch.isActive() || q.size() >= MAX_IDLE) {
      ch.close();
      return;
    }
    q.addLast(ch);
    link.home = this;
    link.idleSince = System.nanoTime();
    link.idleMs = idleMs > 0 ? idleMs : DEFAULT_IDLE_MS;
    ch.config().setAutoRead(true); // an idle backend that closes or sends anything is noticed
    link.armIdle(ch, link.idleMs);
  }

  private void remove(Key key, Channel ch) {
    ArrayDeque<Channel> q = idle.get(key);
    if (q != null) {
      q.remove(ch);
      if (q.isEmpty()) idle.remove(key);
    }
  }

  static BackendLink link(Channel ch) {
    return ch.pipeline().get(BackendLink.class);
  }

  /**
   * The last handler of a backend connection: hands the decoded response to the exchange that owns the connection
   * now, and keeps the backend's connection count.
   */
  static final class BackendLink extends ChannelInboundHandlerAdapter {
    final Key key;
    final PoolRuntime.Slot slot;
    /** The exchange this connection serves now; null while it is idle in the pool. */
    HttpExchange owner;
    /** The pool it was last given back to (the loop's, or a client connection's own), or null. */
    BackendConnections home;
    /** Its close has been counted. */
    private boolean closed;
    /** When it last went idle, and how long it may stay so. */
    long idleSince;
    long idleMs;
    /**
     * One idle timer per connection at most, re-armed lazily: a connection given back after every request does not
     * schedule (and leave behind) a timer task per request, which at 20,000 requests/s and a 5 min idle timeout
     * kept millions of tasks in the loop's queue.
     */
    private boolean timerArmed;

    BackendLink(Key key, PoolRuntime.Slot slot) {
      this.key = key;
      this.slot = slot;
    }

    void armIdle(Channel ch, long delayMs) {
      if (timerArmed) return;
      timerArmed = true;
      ch.eventLoop().schedule(() -> checkIdle(ch), delayMs, TimeUnit.MILLISECONDS);
    }

    private void checkIdle(Channel ch) {
      timerArmed = false;
      if (owner != null || !ch.isActive()) return; // in use again: the next give() arms it anew
      long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleSince);
      if (quiet >= idleMs) ch.close();
      else armIdle(ch, idleMs - quiet);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      if (slot != null) slot.counters().opened();
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      HttpExchange ex = owner;
      if (ex == null) { // an idle connection has nothing to say: whatever it sends, it is not reused
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      ex.fromBackend(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      HttpExchange ex = owner;
      if (ex != null) ex.backendReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      HttpExchange ex = owner;
      if (ex != null) ex.backendWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (slot != null && !closed) slot.counters().closed();
      closed = true;
      if (home != null) home.remove(key, ctx.channel());
      HttpExchange ex = owner;
      owner = null;
      if (ex != null) ex.backendClosed(ctx.channel());
    }

    /**
     * The backend's FIN (backend sockets allow half-closure, for TCP): the codec has already ended a response that
     * was delimited by the close; the connection is of no further use, idle or not.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) ctx.close();
      else ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset or a malformed response: counted by the exchange when it sees the close
    }
  }
}
