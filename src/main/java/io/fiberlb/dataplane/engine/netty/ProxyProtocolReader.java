package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.stats.TrafficCounters;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the PROXY protocol header (v1 or v2, Netty's {@link HAProxyMessageDecoder}) a client of a listener with
 * {@code accept_proxy_protocol} sends first, then hands the connection on with the header's addresses standing for
 * the client's and the listener's: {@link Next#start} runs admission (allowed CIDRs, balancing) on them and installs
 * the proxying handler, which gets the bytes that followed the header.
 *
 * <p>A PROXY command with TCP over IPv4 or IPv6 gives the addresses; a LOCAL command (an upstream balancer's own
 * health check), or a proxied protocol the header leaves UNKNOWN (or UDP, or a UNIX socket), is served with the
 * connection's real addresses, as the specification says. A header that is missing, malformed or not complete within
 * the timeout closes the connection: counted per listener ({@link TrafficCounters#proxyProtocolErrors}) and logged
 * in one line without a stack trace, at most once per {@link #LOG_EVERY_NANOS} for the whole process so that a
 * flood of bad clients cannot flood the log.
 */
final class ProxyProtocolReader extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolReader.class);
  static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final AtomicLong nextLog = new AtomicLong(System.nanoTime());

  /** What to do once the header is read: admit, then proxy (or close). Runs on the channel's event loop. */
  interface Next {
    void start(Channel ch, InetSocketAddress client, InetSocketAddress destination);
  }

  private final String listenerId;
  private final long timeoutMs;
  private final TrafficCounters counters;
  private final Next next;
  private ScheduledFuture<?> deadline;
  private boolean done;

  private ProxyProtocolReader(String listenerId, long timeoutMs, TrafficCounters counters, Next next) {
    this.listenerId = listenerId;
    this.timeoutMs = timeoutMs;
    this.counters = counters;
    this.next = next;
  }

  /** Makes {@code ch} read a PROXY protocol header first, within {@code timeoutMs}, then go on with {@code next}. */
  static void install(Channel ch, String listenerId, long timeoutMs, TrafficCounters counters, Next next) {
    ChannelPipeline p = ch.pipeline();
    p.addLast(new HAProxyMessageDecoder());
    p.addLast(new ProxyProtocolReader(listenerId, timeoutMs, counters, next));
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    deadline = ctx.executor().schedule(() -> fail(ctx, "no complete header within " + timeoutMs + " ms"),
        timeoutMs, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (done || !(msg instanceof HAProxyMessage header)) { // nothing but the header comes before it is read
      ReferenceCountUtil.release(msg);
      return;
    }
    done = true;
    deadline.cancel(false);
    Channel ch = ctx.channel();
    InetSocketAddress client = (InetSocketAddress) ch.remoteAddress();
    InetSocketAddress destination = (InetSocketAddress) ch.localAddress();
    try {
      HAProxyProxiedProtocol p = header.proxiedProtocol();
      if (header.command() == HAProxyCommand.PROXY
          && (p == HAProxyProxiedProtocol.TCP4 || p == HAProxyProxiedProtocol.TCP6)) {
        client = new InetSocketAddress(io.netty.util.NetUtil.createInetAddressFromIpAddressString(
            header.sourceAddress()), header.sourcePort());
        destination = new InetSocketAddress(io.netty.util.NetUtil.createInetAddressFromIpAddressString(
            header.destinationAddress()), header.destinationPort());
      }
    } finally {
      header.release();
    }
    // Leave the pipeline first: the bytes after the header, which the decoder hands on as it leaves too, then go to
    // the handler that next installs.
    ctx.pipeline().remove(this);
    next.start(ch, client, destination);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // The decoder throws HAProxyProtocolException (wrapped in a DecoderException) for a malformed header.
    // (the innermost message, without the class names of the wrappers).
    String why = null;
    for (Throwable t = cause; t != null && t.getCause() != t; t = t.getCause()) {
      if (t.getMessage() != null) why = t.getMessage();
    }
    fail(ctx, "malformed header" + (why == null ? "" : ": " + why));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (deadline != null) deadline.cancel(false);
    if (!done) fail(ctx, "closed before a complete header");
  }

  private void fail(ChannelHandlerContext ctx, String why) {
    if (done) return;
    done = true;
    if (deadline != null) deadline.cancel(false);
    counters.proxyProtocolErrors.increment();
    counters.rejected.increment();
    ctx.channel().close();
    long now = System.nanoTime();
    long at = nextLog.get();
    if (now - at >= 0 && nextLog.compareAndSet(at, now + LOG_EVERY_NANOS)) {
      log.warn("listener {}: closed a client connection from {} without a valid PROXY protocol header ({}); more are"
          + " counted in fiberlb_listener_proxy_protocol_errors, logged at most once every 10 s", listenerId,
          ctx.channel().remoteAddress(), why);
    }
  }
}
