package io.fiberlb.dataplane.engine.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of Netty's transports the engine's event loops run: native epoll (Linux) or NIO (anywhere), with what each
 * needs: its I/O handler, channel classes and its SO_REUSEPORT option (none on NIO: there a listener is bound once
 * and its connections spread over the loops).
 *
 * <p>io_uring (netty-transport-native-io_uring 4.2.18, available on this kernel) was measured against epoll in the
 * same session and left out: new connections 93-107 us of CPU each against 101-109, keep-alive 16-17 us per request
 * against 15-16, within the noise (docs/benchmarks.md); it would be a third transport to test for no gain.
 */
record Transport(String name, IoHandlerFactory io, Class<? extends ServerChannel> serverChannel,
    Class<? extends Channel> datagramChannel, Function<SocketProtocolFamily, Channel> socket,
    ChannelOption<Boolean> reusePort) {

  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  /** Native epoll when allowed and available (saying in the log why not otherwise), else NIO. */
  static Transport choose(boolean epoll) {
    if (epoll) {
      if (Epoll.isAvailable()) return epoll();
      log.warn("native epoll is not available ({}); the data plane runs on NIO", String.valueOf(Epoll.unavailabilityCause()));
    }
    return nio();
  }

  static Transport epoll() {
    return new Transport("netty-epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
        EpollDatagramChannel.class, EpollSocketChannel::new, EpollChannelOption.SO_REUSEPORT);
  }

  static Transport nio() {
    return new Transport("netty-nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
        NioDatagramChannel.class, f -> new NioSocketChannel(SelectorProvider.provider(), f), null);
  }

  /** Whether each event loop binds its own socket of a listener (SO_REUSEPORT). */
  boolean socketPerLoop() {
    return reusePort != null;
  }
}
