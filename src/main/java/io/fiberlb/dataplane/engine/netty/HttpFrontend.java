package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.l7.CookiePersistence;
import io.fiberlb.dataplane.l7.Route;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The requests of one HTTP/1.1 client connection, or of one HTTP/2 stream, one at a time ({@link HttpExchange}): routes
 * each by the listener's routing table (read at the request's head, so a new table applies from the next request),
 * picks its backend in the routed pool with the pool's persistence, takes an idle keep-alive connection to it from
 * this loop's {@link BackendConnections} or connects one on this loop, and relays head and body both ways as they
 * come, with backpressure by writability (no body is ever buffered whole). A connect that fails is retried on the
 * next candidate while no byte has gone to any backend; then 502 (refused, failed) or 504 (timeout). A backend
 * silent for the backend idle timeout gets 504. HTTP/1.1 pipelined requests wait until the one before has been
 * answered. Runs on the client channel's event loop only, as everything it touches.
 */
final class HttpFrontend extends ChannelInboundHandlerAdapter {
  /** Request body bytes held while the backend connects; past this the client is not read until it is connected. */
  static final int EARLY_LIMIT = 64 * 1024;
  /**
   * Decoded pieces of pipelined requests held while a response is in progress; past this the client is not read.
   * Reading is not paused per request (an HTTP/1.1 client waits for its answer anyway): pausing and resuming cost two
   * epoll_ctl calls per request on the keep-alive path.
   */
  static final int MAX_PIPELINED = 32;

  private final HttpServer.Connection conn;
  private final boolean h2;
  private Channel client;
  private HttpExchange ex;
  /** HTTP/1.1: what the client sent after the request in progress (pipelining), handled once it is answered. */
  private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
  boolean closing;
  /** The client has sent its FIN: the connection closes once what it sent before has been answered. */
  private boolean inputClosed;
  /** A request's head has been read and its end not yet (HTTP/1.1). */
  private boolean midRequest;
  private long lastActive;
  /**
   * The client idle timer and the backend idle timer of the exchange in progress: one of each at most, re-armed
   * lazily from the last activity instead of cancelled and scheduled again per request (a scheduled task per request
   * is a priority-queue insert and removal on the loop's hot path).
   */
  private ScheduledFuture<?> idleTimer;
  private ScheduledFuture<?> backendTimer;
  private ClientCertificateHeaders clientCertificate;
  /** {@link #clientCertificate()} made once per connection, not a method reference per request. */
  private final java.util.function.Supplier<ClientCertificateHeaders> clientCertificateOnce = this::clientCertificate;

  HttpFrontend(HttpServer.Connection conn, boolean h2) {
    this.conn = conn;
    this.h2 = h2;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    client = ctx.channel();
    lastActive = System.nanoTime();
    if (!h2) armClientIdle();
  }

  // ------------------------------------------------------------------ client -> proxy

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    lastActive = System.nanoTime();
    if (msg instanceof HttpRequest) midRequest = true;
    if (msg instanceof LastHttpContent) midRequest = false;
    if (closing || (ex != null && ex.requestDone) || !pipelined.isEmpty()) {
      if (closing) ReferenceCountUtil.release(msg);
      else {
        pipelined.add(msg); // HTTP/1.1 pipelining: after the response in progress
        // A client far ahead of its answers is not read further until they catch up (finished() reads again).
        if (pipelined.size() >= MAX_PIPELINED) client.config().setAutoRead(false);
      }
      return;
    }
    handle(msg);
  }

  private void handle(Object msg) {
    if (msg instanceof FullHttpRequest full) {
      HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
      head.setDecoderResult(full.decoderResult());
      boolean bodyless = !HttpUtil.isContentLengthSet(full) && !full.content().isReadable();
      startRequest(head, bodyless);
      requestBody(new DefaultLastHttpContent(full.content()));
    } else if (msg instanceof HttpRequest req) {
      startRequest(req, false);
      if (msg instanceof HttpContent c) requestBody(c);
    } else if (msg instanceof HttpContent c) {
      requestBody(c);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void startRequest(HttpRequest req, boolean bodyless) {
    ex = new HttpExchange(this, conn, h2, client, req);
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
          ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
          : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
          : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
          : HttpResponseStatus.BAD_REQUEST;
      ex.clientKeepAlive = false; // the rest of the stream cannot be trusted
      ex.requestDone = true;
      ex.answer(status, "", null);
      return;
    }
    ex.clientKeepAlive = h2 || HttpUtil.isKeepAlive(req);
    ListenerConfig cfg = conn.admission().config();
    ex.listener = cfg;
    Route route = cfg.routes().route(ex.view);
    if (route instanceof Route.Reject) {
      ex.answer(HttpResponseStatus.FORBIDDEN, "rejected by policy", null);
    } else if (route instanceof Route.Redirect r) {
      ex.answer(HttpResponseStatus.valueOf(r.code()), "", r.location());
    } else if (route instanceof Route.ToPool p) {
      if (p.pool() == null) {
        ex.answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "no pool serves this request", null);
        return;
      }
      ex.pool = p.pool();
      prepareForBackend(req, bodyless, cfg);
      Endpoint first = CookiePersistence.pick(ex.pool, ex.view, conn.key(), null);
      if (first == null) {
        ex.answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "no backend is available", null);
        return;
      }
      ex.connect(first);
    }
  }

  /** The head as the backend gets it: HTTP/1.1, hop-by-hop headers gone, framing explicit, headers inserted. */
  private void prepareForBackend(HttpRequest req, boolean bodyless, ListenerConfig cfg) {
    HttpMessages.stripHopByHop(req.headers());
    req.setProtocolVersion(HttpVersion.HTTP_1_1);
    if (h2 && !bodyless && !HttpUtil.isContentLengthSet(req) && !HttpUtil.isTransferEncodingChunked(req)) {
      HttpUtil.setTransferEncodingChunked(req, true); // an HTTP/2 body of unknown length
    }
    HttpMessages.insert(req.headers(), cfg.listener().insertHeaders(), conn.remote().getAddress().getHostAddress(),
        cfg.listener().protocolPort(), conn.https(), clientCertificateOnce);
  }

  /** The client certificate headers of this connection, read from its TLS session once (X-SSL-* insert headers). */
  private ClientCertificateHeaders clientCertificate() {
    if (clientCertificate == null) clientCertificate = ClientCertificateHeaders.of(client);
    return clientCertificate;
  }

  private void requestBody(HttpContent c) {
    HttpExchange e = ex;
    if (e == null || e.requestDone) { // nothing is waiting for it (a stray piece after a local answer)
      c.release();
      return;
    }
    boolean last = c instanceof LastHttpContent;
    if (last) e.requestDone = true;
    if (e.local) { // answered here: the rest of the body is read and dropped
      c.release();
      if (last && e.responseDone) finished();
      return;
    }
    int n = c.content().readableBytes();
    e.bodyBytes += n;
    conn.counters().bytesIn.add(n);
    if (e.slot != null) e.slot.counters().bytesIn.add(n);
    if (e.backend == null) {
      e.held.add(c);
      e.heldBytes += n;
      if (e.heldBytes >= EARLY_LIMIT) client.config().setAutoRead(false);
    } else {
      if (last) e.lastWritten = true;
      e.backend.write(c, e.backend.voidPromise());
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (ex != null && ex.backend != null) ex.backend.flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ex != null && ex.backend != null) ex.backend.config().setAutoRead(client.isWritable());
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent && !h2) {
      // The client sent all it will: answer what is in progress, then close. A request whose body stopped short can
      // never end (the codec ends no body at a premature close): the client is closed at once, and with it the
      // backend connection, instead of both waiting for the backend idle timeout.
      inputClosed = true;
      if (midRequest || (ex == null && pipelined.isEmpty())) client.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (idleTimer != null) idleTimer.cancel(false);
    if (backendTimer != null) backendTimer.cancel(false);
    for (Object m; (m = pipelined.poll()) != null; ) ReferenceCountUtil.release(m);
    if (ex != null) ex.abandon();
    ex = null;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a reset or a TLS failure: nothing to log per connection
  }

  /** The exchange in progress, or null. */
  HttpExchange current() {
    return ex;
  }

  /** The exchange in progress has ended both ways: the next request may be read. */
  void finished() {
    ex = null;
    if (h2 || closing) return;
    lastActive = System.nanoTime();
    armClientIdle();
    while (ex == null && !pipelined.isEmpty() && !closing) handle(pipelined.poll());
    while (ex != null && !ex.requestDone && !pipelined.isEmpty()) handle(pipelined.poll());
    if (ex == null && inputClosed) client.close();
    else if (ex == null || !ex.requestDone) client.config().setAutoRead(true);
  }

  private void armClientIdle() {
    long ms = conn.admission().config().listener().timeoutClientIdleMs();
    if (ms <= 0 || h2 || (idleTimer != null && !idleTimer.isDone())) return;
    idleTimer = client.eventLoop().schedule(this::checkClientIdle, ms, TimeUnit.MILLISECONDS);
  }

  private void checkClientIdle() {
    idleTimer = null;
    if (!client.isActive() || ex != null) return; // a request in progress: finished() arms it again
    long ms = conn.admission().config().listener().timeoutClientIdleMs();
    long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastActive);
    if (quiet >= ms) client.close();
    else idleTimer = client.eventLoop().schedule(this::checkClientIdle, ms - quiet, TimeUnit.MILLISECONDS);
  }

  /** The exchange in progress waits on its backend: its idle check runs within {@code ms}. */
  void armBackendIdle(long ms) {
    if (backendTimer != null && !backendTimer.isDone()) return;
    backendTimer = client.eventLoop().schedule(this::checkBackendIdle, ms, TimeUnit.MILLISECONDS);
  }

  private void checkBackendIdle() {
    backendTimer = null; // this run is over: what it leads to (an answer, the next request) may arm it again
    HttpExchange e = ex;
    if (e == null) return;
    long next = e.checkBackendIdle();
    if (next > 0) armBackendIdle(next);
  }
}
