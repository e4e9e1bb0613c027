package io.fiberlb.dataplane.health;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The UDP_CONNECT probe, as Octavia's UDP-CONNECT health monitor does it: one datagram from a socket connected to
 * the backend, then
 * <ul>
 *   <li>a reply: success at once;
 *   <li>ICMP port unreachable (the kernel reports it on the connected socket as ECONNREFUSED, Java's
 *       {@link PortUnreachableException}): failure, {@code refused};
 *   <li>neither before the check's timeout: success. UDP has no handshake, and a service that only answers its own
 *       protocol stays silent; Octavia's amphora runs {@code nc -uzv -w1 <address> <port>}
 *       (octavia/amphorae/backends/utils/udp_check.sh), whose UDP test fails only on ECONNREFUSED. So a backend whose
 *       host is gone entirely (no ICMP at all) stays UP under this check, in Octavia and here; passive signals and
 *       a TCP/HTTP check on a monitor port cover that case.
 * </ul>
 * The sockets live on one small NIO event loop shared by every UDP probe of the node (one per actor system), so no
 * thread waits on a probe; a host name is resolved on Pekko's blocking-IO dispatcher first.
 */
final class UdpProbe {
  private UdpProbe() {}

  /** What the probe sends: one byte, as netcat's UDP test does. */
  static final byte[] PAYLOAD = "X".getBytes(StandardCharsets.US_ASCII);

  static Probe.Running start(ActorSystem<?> system, String address, int port, Duration timeout) {
    long started = System.nanoTime();
    var verdict = new CompletableFuture<Probe.Result>();
    var channel = new CompletableFuture<Channel>();
    EventLoopGroup loop = Loop.Id.ID.get(system).group;
    resolve(system, address).whenComplete((ip, err) -> {
      if (err != null) {
        verdict.complete(new Probe.Result(false, Probe.reason(err), System.nanoTime() - started));
        return;
      }
      if (verdict.isDone()) return; // cancelled while resolving
      ChannelFuture connect = new Bootstrap().group(loop).channel(NioDatagramChannel.class)
          .handler(new Judge(verdict, started))
          .connect(new InetSocketAddress(ip, port));
      channel.complete(connect.channel());
      connect.addListener((ChannelFutureListener) f -> {
        if (!f.isSuccess()) {
          verdict.complete(new Probe.Result(false, Probe.reason(f.cause()), System.nanoTime() - started));
          return;
        }
        f.channel().writeAndFlush(Unpooled.wrappedBuffer(PAYLOAD)).addListener((ChannelFutureListener) w -> {
          if (!w.isSuccess()) verdict.complete(failure(w.cause(), started));
        });
        // Silence until the timeout: nothing said the port is closed, which is what Octavia's check asks.
        var silence = f.channel().eventLoop().schedule(
            () -> verdict.complete(new Probe.Result(true, "", System.nanoTime() - started)),
            timeout.toNanos(), TimeUnit.NANOSECONDS);
        verdict.whenComplete((r, e) -> silence.cancel(false));
      });
    });
    // The socket closes with the verdict, or when the monitor gives up on the probe.
    verdict.whenComplete((r, e) -> channel.thenAccept(Channel::close));
    Runnable cancel = () -> verdict.complete(new Probe.Result(false, "cancelled", System.nanoTime() - started));
    return new Probe.Running(verdict, cancel);
  }

  /** Reads the answer (a reply or an ICMP error) on the probe's socket. */
  private static final class Judge extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Probe.Result> verdict;
    private final long started;

    Judge(CompletableFuture<Probe.Result> verdict, long started) {
      this.verdict = verdict;
      this.started = started;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      verdict.complete(new Probe.Result(true, "", System.nanoTime() - started));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      verdict.complete(failure(cause, started));
    }
  }

  private static Probe.Result failure(Throwable cause, long started) {
    String reason = cause instanceof PortUnreachableException ? "refused" : Probe.reason(cause);
    return new Probe.Result(false, reason, System.nanoTime() - started);
  }

  /** An IP literal needs no lookup; a host name is looked up off the probe loop and off the actors' threads. */
  private static CompletableFuture<InetAddress> resolve(ActorSystem<?> system, String address) {
    if (new inet.ipaddr.IPAddressString(address).isIPAddress()) {
      try {
        return CompletableFuture.completedFuture(InetAddress.getByName(address));
      } catch (UnknownHostException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    return CompletableFuture.supplyAsync(() -> {
      try {
        return InetAddress.getByName(address);
      } catch (UnknownHostException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }

  /** The event loop of a node's UDP probes: one thread, started on first use, stopped with the actor system. */
  static final class Loop implements Extension {
    final EventLoopGroup group;

    Loop(ExtendedActorSystem system) {
      group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fiberlb-udp-probe", true),
          NioIoHandler.newFactory());
      system.registerOnTermination(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS));
    }

    static final class Id extends AbstractExtensionId<Loop> implements ExtensionIdProvider {
      static final Id ID = new Id();

      private Id() {}

      @Override
      public Id lookup() {
        return ID;
      }

      @Override
      public Loop createExtension(ExtendedActorSystem system) {
        return new Loop(system);
      }
    }
  }
}
