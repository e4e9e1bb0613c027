package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One UDP listener socket (the VIP socket of one event loop) and its flow table.
 *
 * <p>A flow is one client address and port. Its first datagram asks {@link Admission#admitFlow} (allowed_cidrs,
 * connection_limit as a cap on open flows, the pool's pick, so SOURCE_IP / SOURCE_IP_PORT / MAGLEV send a returning
 * client to the same backend), then a datagram socket connected to the chosen backend is registered on this
 * socket's own event loop. Everything of a flow (the table, its backend socket, its timer) is confined to that loop:
 * no lock, no byte crossing threads. With native epoll each loop has its own VIP socket (SO_REUSEPORT) and the kernel
 * hashes a client's 4-tuple to one of them, so a flow's datagrams always arrive on the loop that holds it.
 *
 * <ul>
 *   <li>Client to backend: on the flow's connected socket. Backend to client: sent from the VIP socket, so that the
 *       client sees the address it sent to.
 *   <li>Bounded: while the backend socket is being set up, at most {@link #MAX_PENDING} datagrams wait; a datagram
 *       for a socket that is not writable (send buffer and Netty's outbound buffer over the high-water mark) is
 *       dropped and counted ({@link TrafficCounters#datagramsDropped}), never queued without bound. The number of
 *       flows is capped by admission.
 *   <li>A flow ends when no datagram passed either way for the listener's client idle timeout (a normal end, not an
 *       error), when its backend answers with ICMP port unreachable (counted as a connect failure and a passive
 *       health failure of that backend; the client's next datagram opens a new flow, picked afresh), or when the
 *       listener's drain ends. Each ending counts the flow closed once.
 * </ul>
 * Nothing here blocks, logs or asks an actor.
 */
final class UdpProxy extends ChannelInboundHandlerAdapter {
  /** Datagrams held for a flow whose backend socket is not connected yet; more are dropped. */
  static final int MAX_PENDING = 8;
  /** The idle timeout of a flow when the listener has none (0): Linux IPVS's UDP timeout, which LVS-based UDP load
   *  balancers such as Octavia's amphora inherit. The API never stores 0 (its default is 50 s); old records might. */
  static final long DEFAULT_IDLE_MS = 300_000;

  private final NettyEngine engine;
  private final Admission admission;
  private final long maxFlows;
  private final Map<InetSocketAddress, Flow> flows = new HashMap<>();
  private Channel vip;
  private boolean draining;

  UdpProxy(NettyEngine engine, Admission admission, long maxFlows) {
    this.engine = engine;
    this.admission = admission;
    this.maxFlows = maxFlows;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    vip = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    DatagramPacket p = (DatagramPacket) msg;
    InetSocketAddress client = p.sender();
    Flow f = flows.get(client);
    if (f == null) {
      ProxiedConnection conn = draining ? null : admission.admitFlow(client, maxFlows);
      if (conn == null) { // refused (counted by admission) or draining: the datagram goes nowhere
        if (draining) admission.counters().rejected.increment();
        p.release();
        return;
      }
      f = new Flow(client, conn);
      flows.put(client, f);
      f.start();
    }
    f.fromClient(p.content());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A failed send to a client (its datagram is lost, as UDP allows) or a read error: the VIP socket stays open.
    admission.counters().datagramsDropped.increment();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closeAll();
  }

  /** Stops admitting new flows; the socket closes once the open ones have ended. Call on the socket's loop. */
  void drain() {
    draining = true;
    if (flows.isEmpty()) vip.close();
  }

  /** The drain deadline, or the engine stopping: every flow ends now and the socket closes. */
  void closeAll() {
    draining = true;
    for (Flow f : new ArrayList<>(flows.values())) f.close(false);
    if (vip.isOpen()) vip.close();
  }

  /** One client address:port and its connected socket to one backend. */
  private final class Flow {
    private final InetSocketAddress client;
    private final ProxiedConnection conn;
    private final long idleNanos;
    private Endpoint endpoint;
    private Channel backend;
    private ArrayDeque<ByteBuf> pending;
    private long lastActive;
    private ScheduledFuture<?> idleTimer;
    private boolean closed;

    Flow(InetSocketAddress client, ProxiedConnection conn) {
      this.client = client;
      this.conn = conn;
      long idle = conn.config().listener().timeoutClientIdleMs();
      this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idle > 0 ? idle : DEFAULT_IDLE_MS);
    }

    void start() {
      lastActive = System.nanoTime();
      armIdle(idleNanos);
      connect(null);
    }

    private void connect(Endpoint failed) {
      Endpoint next = conn.next(failed);
      if (next == null) {
        conn.gaveUp();
        close(true);
        return;
      }
      endpoint = next;
      ChannelFuture f = engine.udpBackend(vip.eventLoop()).handler(new FromBackend()).connect(conn.address(next));
      f.addListener((ChannelFutureListener) this::connected);
    }

    private void connected(ChannelFuture f) {
      if (closed) {
        f.channel().close();
        return;
      }
      if (!f.isSuccess()) { // a host name that does not resolve, no route: the next candidate
        f.channel().close();
        conn.connectFailed(endpoint, ProxiedConnection.reasonOf(f.cause()));
        connect(endpoint);
        return;
      }
      backend = f.channel();
      conn.backendOpened(endpoint);
      if (pending != null) {
        for (ByteBuf b; (b = pending.poll()) != null; ) toBackend(b);
        pending = null;
      }
    }

    /** A datagram from the client; this flow owns {@code b} from here. */
    void fromClient(ByteBuf b) {
      if (closed) { // no backend could be set up for its first datagram
        b.release();
        return;
      }
      lastActive = System.nanoTime();
      if (backend != null) {
        toBackend(b);
        return;
      }
      if (pending == null) pending = new ArrayDeque<>(2);
      if (pending.size() >= MAX_PENDING) {
        b.release();
        admission.counters().datagramsDropped.increment();
        return;
      }
      pending.add(b);
    }

    private void toBackend(ByteBuf b) {
      if (!backend.isWritable()) {
        b.release();
        admission.counters().datagramsDropped.increment();
        return;
      }
      conn.bytesIn(b.readableBytes());
      backend.writeAndFlush(b, backend.voidPromise());
    }

    // -------------------------------------------------------------- the backend socket's handler
    /** The handler of one backend socket of this flow (a new one per connect attempt). */
    private final class FromBackend extends ChannelInboundHandlerAdapter {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ctx.channel() != backend || closed) {
          ReferenceCountUtil.release(msg);
          return;
        }
        ByteBuf b = ((DatagramPacket) msg).content();
        lastActive = System.nanoTime();
        if (!vip.isWritable()) {
          b.release();
          admission.counters().datagramsDropped.increment();
          return;
        }
        conn.bytesOut(b.readableBytes());
        vip.writeAndFlush(new DatagramPacket(b, client), vip.voidPromise());
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ctx.channel() != backend) return; // a connect attempt: its future reports the failure
        if (cause instanceof PortUnreachableException) {
          // ICMP port unreachable: nothing listens on the backend port. Told to its health monitor as a passive
          // failure; the flow ends so that the client's next datagram is picked afresh.
          conn.connectFailed(endpoint, "refused");
          close(true);
        } else {
          admission.counters().datagramsDropped.increment(); // a failed send: that datagram is lost
        }
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        if (ctx.channel() == backend) close(true);
      }
    }

    // -------------------------------------------------------------- endings

    void close(boolean error) {
      if (closed) return;
      closed = true;
      flows.remove(client, this);
      if (idleTimer != null) idleTimer.cancel(false);
      if (pending != null) {
        pending.forEach(ReferenceCountUtil::release);
        pending = null;
      }
      if (backend != null) backend.close();
      conn.clientClosed(error);
      if (draining && flows.isEmpty() && vip.isOpen()) vip.close();
    }

    private void armIdle(long delayNanos) {
      idleTimer = vip.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkIdle() {
      if (closed) return;
      long quiet = System.nanoTime() - lastActive;
      if (quiet >= idleNanos) close(false); // the normal end of a UDP flow
      else armIdle(idleNanos - quiet);
    }
  }
}
