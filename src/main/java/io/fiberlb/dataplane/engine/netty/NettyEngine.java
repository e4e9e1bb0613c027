package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.Engine;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
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
 * The event-loop engine: one Netty event loop per core (native epoll on Linux, NIO elsewhere). Each listener is
 * bound once per event loop with SO_REUSEPORT, so the kernel spreads new connections over the loops and every loop
 * accepts its own; each client's backend channel is registered on the client channel's own loop, so one thread
 * owns both sockets of a proxied connection and no byte crosses threads ({@link TcpProxy}).
 *
 * <p>Why not Pekko Streams TCP alone: there every read crosses the selector actor, the connection actors and the
 * stream actor (about ten messages per request-response, docs/benchmarks.md); here a read is one epoll wake-up,
 * one read and one write on the same thread.
 */
public final class NettyEngine implements Engine {
  private static final Logger log = LoggerFactory.getLogger(NettyEngine.class);

  private final EventLoopGroup group;
  private final boolean epoll;
  private final int backlog;
  private final Class<? extends ServerChannel> serverChannel;
  final Class<? extends Channel> socketChannel;

  /**
   * @param threads event loops (0: one per CPU)
   * @param preferEpoll use native epoll when it loads; NIO otherwise
   */
  public NettyEngine(int threads, int backlog, boolean preferEpoll) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    this.epoll = preferEpoll && Epoll.isAvailable();
    if (preferEpoll && !epoll) {
      log.warn("native epoll is not available ({}); the data plane runs on NIO", Epoll.unavailabilityCause().toString());
    }
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory("fiberlb-io", true), io);
    this.backlog = backlog;
    this.serverChannel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    this.socketChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  @Override
  public String name() {
    return epoll ? "netty-epoll" : "netty-nio";
  }

  /** The event loops, for engines of other protocols that share them. */
  public EventLoopGroup group() {
    return group;
  }

  public boolean epoll() {
    return epoll;
  }

  @Override
  public CompletionStage<Binding> bindTcp(InetSocketAddress at, Admission admission) {
    ChannelGroup open = new DefaultChannelGroup("connections-" + at, GlobalEventExecutor.INSTANCE);
    ChannelInitializer<Channel> child = new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ProxiedConnection conn = admission.admit((InetSocketAddress) ch.remoteAddress());
        if (conn == null) {
          ch.close();
          return;
        }
        open.add(ch);
        ch.pipeline().addLast(new TcpProxy(NettyEngine.this, conn));
      }
    };
    List<ChannelFuture> binds = new ArrayList<>();
    if (epoll) {
      // One socket per loop: accepts spread by the kernel, and a connection stays on the loop that accepted it.
      for (EventExecutor e : group) {
        EventLoop loop = (EventLoop) e;
        binds.add(server(loop, loop, child).option(EpollChannelOption.SO_REUSEPORT, true).bind(at));
      }
    } else {
      binds.add(server(group, group, child).bind(at));
    }
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
          done.complete(new Bound(sockets, open));
        }
      });
    }
    return done;
  }

  private ServerBootstrap server(EventLoopGroup parent, EventLoopGroup children, ChannelInitializer<Channel> child) {
    return new ServerBootstrap().group(parent, children).channel(serverChannel)
        .option(ChannelOption.SO_BACKLOG, backlog)
        .childOption(ChannelOption.AUTO_READ, false) // nothing is read until the backend is connected
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(child);
  }

  /** A bootstrap for one backend connection, on the client's own event loop. */
  Bootstrap backend(EventLoop loop, int connectTimeoutMs) {
    return new Bootstrap().group(loop).channel(socketChannel)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.max(1, connectTimeoutMs))
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true);
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
        connections.close(); // the drain deadline: whatever is still open is cut
      }, drain.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
  }
}
