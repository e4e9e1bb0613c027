package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.balance.ConnectionKey;
import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How an HTTP listener's accepted connection is set up, on its own event loop: with accept_proxy_protocol the
 * client's PROXY protocol header first ({@link ProxyProtocolReader}), then admission (allowed_cidrs,
 * connection_limit) of the client it names, then for TERMINATED_HTTPS the listener's TLS handler ({@link TlsTermination}) and ALPN ("h2" or
 * "http/1.1"); in clear text the first bytes decide (the HTTP/2 connection preface: h2c with prior knowledge;
 * anything else: HTTP/1.1). HTTP/1.1 runs one {@link HttpFrontend} on the connection; HTTP/2 one per stream, each
 * on a child channel of the same loop.
 *
 * <p>Limits: a request line of {@value #MAX_INITIAL_LINE} bytes (414 beyond), headers of {@value #MAX_HEADER_SIZE}
 * bytes in all (431 beyond, HTTP/2's header list included); bodies are streamed in pieces of at most
 * {@value #MAX_CHUNK} bytes and never bounded in total.
 */
final class HttpServer extends ChannelInitializer<Channel> {
  static final int MAX_INITIAL_LINE = 8192;
  static final int MAX_HEADER_SIZE = 16 * 1024;
  static final int MAX_CHUNK = 64 * 1024;

  /**
   * One admitted client connection: what each of its requests needs to know about it. {@code remote} is the client
   * (the PROXY protocol header's source on a listener with accept_proxy_protocol), {@code destination} where it
   * connected to (the header's destination there). {@code own} holds the connection's private backend connections:
   * those of a PROXY or PROXYV2 pool, whose header names this client, so they are never shared with another client.
   */
  record Connection(NettyEngine engine, Admission admission, InetSocketAddress remote,
      InetSocketAddress destination, ConnectionKey key, boolean https, BackendConnections own) {
    Connection(NettyEngine engine, Admission admission, InetSocketAddress remote, InetSocketAddress destination,
        boolean https) {
      this(engine, admission, remote, destination, ConnectionKey.of(remote), https, new BackendConnections());
    }

    TrafficCounters counters() {
      return admission.counters();
    }
  }

  private final NettyEngine engine;
  private final Admission admission;
  private final ChannelGroup open;

  HttpServer(NettyEngine engine, Admission admission, ChannelGroup open) {
    this.engine = engine;
    this.admission = admission;
    this.open = open;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline().addLast(InputShutdown.INSTANCE);
    var listener = admission.config().listener();
    if (listener.acceptProxyProtocol()) {
      // As HAProxy's accept-proxy: the header comes before anything else (before TLS too); admitted once it has said
      // who the client is, and closed without a valid one.
      ProxyProtocolReader.install(ch, listener.id(), NettyEngine.proxyHeaderTimeoutMs(listener), admission.counters(),
          this::start);
      return;
    }
    start(ch, (InetSocketAddress) ch.remoteAddress(), (InetSocketAddress) ch.localAddress());
  }

  /** Admits the client {@code remote} (allowed_cidrs, connection_limit) and sets up TLS and the HTTP codec. */
  private void start(Channel ch, InetSocketAddress remote, InetSocketAddress destination) {
    TlsTermination tls = admission.config().tls();
    if (!admission.admitHttp(remote)) {
      ch.close();
      return;
    }
    open.add(ch);
    Connection conn = new Connection(engine, admission, remote, destination, tls != null);
    ch.closeFuture().addListener(f -> {
      conn.own().closeAll();
      admission.httpClosed(false);
    });
    ChannelPipeline p = ch.pipeline();
    if (tls != null) {
      tls.addHandlers(p);
      p.addLast(new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
          if (ApplicationProtocolNames.HTTP_2.equals(protocol)) http2(ctx.pipeline(), conn);
          else http1(ctx.pipeline(), conn);
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
          ctx.close(); // counted as a closed connection; TLS failure reasons are the TLS configuration's to report
        }
      });
    } else {
      p.addLast(new PrefaceSniffer(conn));
    }
  }

  static void http1(ChannelPipeline p, Connection conn) {
    p.addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK));
    p.addLast(new HttpServerExpectContinueHandler()); // 100 Continue from here; the backend never sees Expect
    p.addLast(new HttpFrontend(conn, false));
  }

  static void http2(ChannelPipeline p, Connection conn) {
    long idleMs = conn.admission().config().listener().timeoutClientIdleMs();
    if (idleMs > 0) {
      p.addLast(new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
      p.addLast(new ChannelInboundHandlerAdapter() {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          if (evt instanceof IdleStateEvent) ctx.close();
          else ctx.fireUserEventTriggered(evt);
        }
      });
    }
    p.addLast(Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(MAX_HEADER_SIZE))
        .build());
    p.addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
        stream.pipeline().addLast(new HttpFrontend(conn, true));
      }
    }));
  }

  /**
   * A client's FIN (the listener's sockets allow half-closure, for TCP): an HTTP/1.1 connection finishes the request
   * in progress and then closes ({@link HttpFrontend}); any other (HTTP/2, or before the protocol is known) closes
   * at once, so no half-closed connection is left open.
   */
  @io.netty.channel.ChannelHandler.Sharable
  static final class InputShutdown extends ChannelInboundHandlerAdapter {
    static final InputShutdown INSTANCE = new InputShutdown();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent && ctx.pipeline().get(HttpFrontend.class) == null) {
        ctx.close();
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  /**
   * Clear text: HTTP/2 with prior knowledge when the connection starts with HTTP/2's preface, HTTP/1.1 otherwise.
   * Waits for at most the preface's 24 bytes; hands them on to the chosen codec as it removes itself.
   */
  static final class PrefaceSniffer extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();
    private final Connection conn;

    PrefaceSniffer(Connection conn) {
      this.conn = conn;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
      boolean same = io.netty.buffer.ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), n);
      if (same && n < PREFACE.readableBytes()) return; // so far like the preface: wait for the rest
      if (same) http2(ctx.pipeline(), conn);
      else http1(ctx.pipeline(), conn);
      ctx.pipeline().remove(this);
    }
  }
}
