package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.Engine;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-loop engine: one Netty event loop per core (native epoll on Linux, NIO elsewhere:
 * {@link Transport}). Each listener is
 * bound once per event loop with SO_REUSEPORT, so the kernel spreads new connections over the loops and every loop
 * accepts its own; each client's backend channel is registered on the client channel's own loop, so one thread
 * owns both sockets of a proxied connection and no byte crosses threads ({@link TcpProxy}). UDP listeners are bound
 * the same way, one datagram socket per loop, and keep a flow table per socket ({@link UdpProxy}).
 *
 * <p>Why not Pekko Streams TCP alone: there every read crosses the selector actor, the connection actors and the
 * stream actor (about ten messages per request-response, docs/benchmarks.md); here a read is one epoll wake-up,
 * one read and one write on the same thread.
 */
public final class NettyEngine implements Engine {
  private static final Logger log = LoggerFactory.getLogger(NettyEngine.class);

  private final EventLoopGroup group;
  /**
   * Looks up backends given by host name, off the event loops (the JDK's resolver blocks; the JVM caches answers).
   * Backends given as IP literals, the usual case, never come here.
   */
  final java.util.concurrent.ExecutorService resolver = java.util.concurrent.Executors.newCachedThreadPool(
      new DefaultThreadFactory("fiberlb-resolve", true));
  private final Transport transport;
  private final int backlog;
  private final int udpMaxFlows;

  /**
   * @param threads event loops (0: one per CPU)
   * @param epoll use native epoll when it loads; NIO otherwise
   * @param udpMaxFlows UDP flows per listener when its connection_limit is unlimited
   */
  public NettyEngine(int threads, int backlog, boolean epoll, int udpMaxFlows) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.transport = Transport.choose(epoll);
    this.group = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory("fiberlb-io", true), transport.io());
    this.backlog = backlog;
    this.udpMaxFlows = udpMaxFlows;
  }

  @Override
  public String name() {
    return transport.name();
  }

  /** The event loops, for engines of other protocols that share them. */
  public EventLoopGroup group() {
    return group;
  }


  @Override
  public CompletionStage<Binding> bindTcp(InetSocketAddress at, Admission admission) {
    String taken = io.fiberlb.dataplane.engine.PortCheck.tcpHeldElsewhere(at);
    if (taken != null) return CompletableFuture.failedFuture(new java.net.BindException(taken));
    ChannelGroup open = new DefaultChannelGroup("connections-" + at, GlobalEventExecutor.INSTANCE);
    ChannelInitializer<Channel> child = new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        var listener = admission.config().listener();
        if (listener.acceptProxyProtocol()) {
          // Admitted once the client's PROXY header has said who it is; until then it is not an open connection.
          ProxyProtocolReader.install(ch, listener.id(), proxyHeaderTimeoutMs(listener), admission.counters(),
              (c, client, destination) -> {
                ProxiedConnection conn = admission.admit(client, destination);
                if (conn == null) {
                  c.close();
                  return;
                }
                open.add(c);
                TcpProxy proxy = new TcpProxy(NettyEngine.this, conn, open);
                c.pipeline().addLast(proxy);
                proxy.begin(c);
              });
          return;
        }
        ProxiedConnection conn = admission.admit((InetSocketAddress) ch.remoteAddress(),
            (InetSocketAddress) ch.localAddress());
        if (conn == null) {
          ch.close();
          return;
        }
        open.add(ch);
        ch.pipeline().addLast(new TcpProxy(NettyEngine.this, conn, open));
      }
    };
    // One socket per loop: accepts spread by the kernel, and a connection stays on the loop that accepted it.
    return bindEach(at, child, sockets -> new Bound(sockets, open));
  }

  /**
   * Binds an HTTP or TERMINATED_HTTPS listener like a TCP one (a socket per loop with SO_REUSEPORT); each accepted
   * connection is set up by {@link HttpServer}. A TERMINATED_HTTPS listener whose TLS termination is not available
   * does not bind (the listener reports why and tries again with backoff).
   */
  @Override
  public CompletionStage<Binding> bindHttp(InetSocketAddress at, Admission admission) {
    var cfg = admission.config();
    if (cfg.listener().protocol() == io.fiberlb.port.Protocol.TERMINATED_HTTPS && cfg.tls() == null) {
      return CompletableFuture.failedFuture(new IllegalStateException(
          "TERMINATED_HTTPS listener " + cfg.listener().id() + ": its certificates are not available"));
    }
    String taken = io.fiberlb.dataplane.engine.PortCheck.tcpHeldElsewhere(at);
    if (taken != null) return CompletableFuture.failedFuture(new java.net.BindException(taken));
    ChannelGroup open = new DefaultChannelGroup("http-" + at, GlobalEventExecutor.INSTANCE);
    return bindEach(at, new HttpServer(this, admission, open), sockets -> new Bound(sockets, open));
  }

  private CompletionStage<Binding> bindEach(InetSocketAddress at, ChannelInitializer<Channel> child,
      java.util.function.Function<List<Channel>, Binding> bound) {
    List<ChannelFuture> binds = new ArrayList<>();
    if (transport.socketPerLoop()) {
      for (EventExecutor e : group) {
        EventLoop loop = (EventLoop) e;
        binds.add(server(loop, loop, child).option(transport.reusePort(), true).bind(at));
      }
    } else {
      binds.add(server(group, group, child).bind(at));
    }
    return allBound(binds, bound);
  }

  /**
   * Longest wait for a client's PROXY protocol header: {@link #PROXY_HEADER_TIMEOUT_MS}, or the client idle timeout
   * when shorter.
   */
  static long proxyHeaderTimeoutMs(io.fiberlb.port.DesiredListener l) {
    long idle = l.timeoutClientIdleMs();
    return idle > 0 ? Math.min(idle, PROXY_HEADER_TIMEOUT_MS) : PROXY_HEADER_TIMEOUT_MS;
  }

  /** A sender of the PROXY protocol writes its header as soon as it has connected: 5 s is ample. */
  static final long PROXY_HEADER_TIMEOUT_MS = 5_000;

  private ServerBootstrap server(EventLoopGroup parent, EventLoopGroup children, ChannelInitializer<Channel> child) {
    return new ServerBootstrap().group(parent, children).channel(transport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, backlog)
        // Read from the start: a client's first bytes (an HTTP request) are usually there before the backend is
        // connected, and are held until it is (TcpProxy bounds that); turning reads on later would cost an epoll_ctl.
        .childOption(ChannelOption.AUTO_READ, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true) // TCP_NODELAY: Netty's default, not set again
        .childHandler(child);
  }

  /**
   * Connects a new backend channel, registered on the client's own event loop ({@code loop}, the caller's thread),
   * with {@code handler} as its only handler. Done by hand rather than through a {@code Bootstrap} per connection:
   * no option map copied, no reflective channel construction and no resolver lookup on the path of every new
   * connection (the address is already resolved); the effect is the same.
   */
  ChannelFuture connectBackend(EventLoop loop, int connectTimeoutMs, io.netty.channel.ChannelHandler handler,
      InetSocketAddress to) {
    // An IPv4 socket for an IPv4 backend: Netty's default dual-stack socket costs a setsockopt(IPV6_V6ONLY) more.
    var family = to.getAddress() instanceof java.net.Inet4Address
        ? io.netty.channel.socket.SocketProtocolFamily.INET : io.netty.channel.socket.SocketProtocolFamily.INET6;
    Channel ch = transport.socket().apply(family);
    var config = ch.config(); // TCP_NODELAY is Netty's default on both transports: not set again (a syscall)
    config.setConnectTimeoutMillis(Math.max(1, connectTimeoutMs));
    config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    ch.pipeline().addLast(handler);
    ChannelFuture registered = loop.register(ch);
    io.netty.channel.ChannelPromise connected = ch.newPromise();
    registered.addListener(r -> {
      if (r.isSuccess()) ch.connect(to, connected);
      else {
        ch.unsafe().closeForcibly();
        connected.setFailure(r.cause());
      }
    });
    connected.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    return connected;
  }

  @Override
  public CompletionStage<Binding> bindUdp(InetSocketAddress at, Admission admission) {
    String taken = io.fiberlb.dataplane.engine.PortCheck.udpHeldElsewhere(at);
    if (taken != null) return CompletableFuture.failedFuture(new java.net.BindException(taken));
    List<UdpProxy> handlers = new ArrayList<>();
    List<ChannelFuture> binds = new ArrayList<>();
    if (transport.socketPerLoop()) {
      // One socket per loop: the kernel hashes each client's 4-tuple to one of them, so a flow stays on one loop.
      for (EventExecutor e : group) {
        UdpProxy h = new UdpProxy(this, admission, udpMaxFlows);
        handlers.add(h);
        binds.add(datagram((EventLoop) e).option(transport.reusePort(), true).handler(h).bind(at));
      }
    } else {
      UdpProxy h = new UdpProxy(this, admission, udpMaxFlows);
      handlers.add(h);
      binds.add(datagram(group.next()).handler(h).bind(at));
    }
    return allBound(binds, sockets -> new UdpBound(sockets, handlers));
  }

  /** A datagram socket on {@code loop}: every read takes a buffer big enough for the largest datagram. */
  private Bootstrap datagram(EventLoop loop) {
    return new Bootstrap().group(loop).channel(transport.datagramChannel())
        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
  }

  /** Largest UDP payload (IPv4: 65,535 - 8 UDP - 20 IP header bytes; IPv6 jumbograms aside). */
  static final int MAX_DATAGRAM = 65_507;

  /** A bootstrap for one UDP flow's backend socket, on the VIP socket's own event loop. */
  Bootstrap udpBackend(EventLoop loop) {
    return datagram(loop);
  }

  /** Completes with {@code bound} once every socket is bound, or fails with the first error and closes the rest. */
  private static CompletionStage<Binding> allBound(List<ChannelFuture> binds,
      java.util.function.Function<List<Channel>, Binding> bound) {
    CompletableFuture<Binding> done = new CompletableFuture<>();
    var outcome = new Object() {
      int pending = binds.size();
      Throwable failure;
    };
    for (ChannelFuture f : binds) {
      f.addListener(x -> {
        synchronized (outcome) {
          if (!x.isSuccess() && outcome.failure == null) outcome.failure = x.cause();
          if (--outcome.pending > 0) return;
        }
        List<Channel> sockets = binds.stream().filter(ChannelFuture::isSuccess).map(ChannelFuture::channel).toList();
        if (outcome.failure != null) {
          sockets.forEach(Channel::close); // give back the others, so that a retry starts clean
          done.completeExceptionally(outcome.failure);
        } else {
          done.complete(bound.apply(sockets));
        }
      });
    }
    return done;
  }

  /**
   * A bound UDP listener. Unbinding stops new flows at once and lets open flows go on (their replies leave through
   * the VIP socket, so it stays open) until they end or the drain deadline closes them with their sockets.
   */
  private final class UdpBound implements Binding {
    private final List<Channel> sockets;
    private final List<UdpProxy> handlers;
    private final AtomicBoolean unbound = new AtomicBoolean();

    UdpBound(List<Channel> sockets, List<UdpProxy> handlers) {
      this.sockets = sockets;
      this.handlers = handlers;
    }

    @Override
    public void unbind(Duration drain) {
      if (!unbound.compareAndSet(false, true)) return;
      if (group.isShuttingDown()) {
        sockets.forEach(Channel::close);
        return;
      }
      for (int i = 0; i < sockets.size(); i++) {
        Channel ch = sockets.get(i);
        UdpProxy h = handlers.get(i);
        ch.eventLoop().execute(h::drain);
        ch.eventLoop().schedule(h::closeAll, drain.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  private final class Bound implements Binding {
    private final List<Channel> sockets;
    private final ChannelGroup connections;
    private final AtomicBoolean unbound = new AtomicBoolean();

    Bound(List<Channel> sockets, ChannelGroup connections) {
      this.sockets = sockets;
      this.connections = connections;
    }

    @Override
    public void unbind(Duration drain) {
      if (!unbound.compareAndSet(false, true)) return;
      sockets.forEach(Channel::close);
      if (group.isShuttingDown()) return;
      group.next().schedule(() -> {
        // The drain deadline: whatever is still open is cut, and counted as ended in error (as the pekko engine does).
        connections.forEach(ch -> ch.pipeline().fireUserEventTriggered(TcpProxy.DRAIN_DEADLINE));
        connections.close();
      }, drain.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    resolver.shutdown();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
  }
}
