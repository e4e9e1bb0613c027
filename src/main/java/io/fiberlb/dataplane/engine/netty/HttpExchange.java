package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.fiberlb.dataplane.engine.ProxyHeader;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.l7.CookiePersistence;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request and its response, for {@link HttpFrontend}: connects (or takes a pooled connection to) the picked
 * backend, relays the head and body pieces both ways with backpressure, applies the backend timeouts, answers with
 * FiberLB's own responses when no backend can serve, and records the request's status and duration. Touched only
 * on the client channel's event loop.
 */
final class HttpExchange {
  private final HttpFrontend front;
  private final HttpServer.Connection conn;
  private final boolean h2;
  private final Channel client;

  final HttpRequest head;
  final HttpMessages.RequestView view;
  final long startNanos = System.nanoTime();
  ListenerConfig listener;
  PoolRuntime pool;
  Endpoint endpoint;
  PoolRuntime.Slot slot;
  final List<String> tried = new ArrayList<>(Admission.MAX_ATTEMPTS);
  final ArrayDeque<HttpContent> held = new ArrayDeque<>(2);
  int heldBytes;
  long bodyBytes;
  boolean requestDone;
  boolean responseStarted;
  boolean responseDone;
  boolean clientKeepAlive;
  boolean local;
  boolean skipping; // an informational (1xx) response of the backend, not passed on
  boolean backendReusable;
  boolean reused;
  boolean inFlight; // counted in the endpoint's open count (least-connections)
  boolean lastWritten; // the request's end has been written to the current backend connection
  int status;
  Channel backend;
  BackendConnections.BackendLink link;
  long lastBackend;

  HttpExchange(HttpFrontend front, HttpServer.Connection conn, boolean h2, Channel client, HttpRequest head) {
    this.front = front;
    this.conn = conn;
    this.h2 = h2;
    this.client = client;
    this.head = head;
    this.view = new HttpMessages.RequestView(head);
  }

  // ---------------------------------------------------------------- connecting

  void connect(Endpoint e) {
    endpoint = e;
    tried.add(e.key());
    slot = pool.slot(e);
    InetSocketAddress to = slot != null ? slot.address() : ProxiedConnection.addressOf(e);
    if (to.isUnresolved()) { // a backend named by host: looked up off the loop (the JDK's resolver blocks)
      java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return new InetSocketAddress(java.net.InetAddress.getByName(to.getHostString()), to.getPort());
        } catch (java.net.UnknownHostException x) {
          throw new java.util.concurrent.CompletionException(x);
        }
      }, conn.engine().resolver).whenComplete((resolved, err) -> client.eventLoop().execute(() -> {
        if (front.current() != this || !client.isActive()) return;
        if (err != null) connectFailed("unresolved");
        else connectTo(resolved);
      }));
      return;
    }
    connectTo(to);
  }

  private void connectTo(InetSocketAddress to) {
    BackendConnections.Key key = BackendConnections.key(slot, to);
    Channel pooled = idleConnections().take(key);
    if (pooled != null) {
      reused = true;
      attach(pooled);
      return;
    }
    reused = false;
    int timeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, listener.listener().timeoutBackendConnectMs()));
    PoolRuntime.Slot s = slot;
    var init = new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new HttpClientCodec(HttpServer.MAX_INITIAL_LINE, HttpServer.MAX_HEADER_SIZE,
            HttpServer.MAX_CHUNK), new BackendConnections.BackendLink(key, s));
      }
    };
    conn.engine().connectBackend(client.eventLoop(), timeout, init, to).addListener((ChannelFutureListener) f -> {
      if (front.current() != this || !client.isActive()) { // the client went away meanwhile: the connection is not needed
        if (f.isSuccess() && proxyVersion() == null) {
          BackendConnections.ofThisLoop().give(key, f.channel(), listener.listener().timeoutBackendIdleMs());
        } else if (f.isSuccess()) {
          f.channel().close(); // its header would name this client: of no use to another
        }
        return;
      }
      if (f.isSuccess()) attach(f.channel());
      else connectFailed(ProxiedConnection.reasonOf(f.cause()));
    });
  }

  /**
   * The PROXY protocol version the pool's backends expect first on each connection (PROXY, PROXYV2), or null. Such a
   * connection is this client connection's own: its header names this client.
   */
  private HAProxyProtocolVersion proxyVersion() {
    return ProxyHeader.versionFor(pool.protocol());
  }

  /** Where idle connections to this exchange's backend wait: the client connection's own for a PROXY pool. */
  private BackendConnections idleConnections() {
    return proxyVersion() == null ? BackendConnections.ofThisLoop() : conn.own();
  }

  private void connectFailed(String reason) {
    if (slot != null) {
      slot.counters().connectFailures.increment();
      HealthMonitor.PassiveFailure told = new HealthMonitor.PassiveFailure(reason + " (passive)");
      if (slot.monitor() != null) slot.monitor().tell(told);
    }
    Endpoint next = tried.size() < Admission.MAX_ATTEMPTS
        ? CookiePersistence.pick(pool, view, conn.key(), tried) : null;
    if (next != null) {
      connect(next);
      return;
    }
    conn.counters().connectFailures.increment();
    if (reason.equals("timeout")) answer(HttpResponseStatus.GATEWAY_TIMEOUT, "backend connect timed out", null);
    else answer(HttpResponseStatus.BAD_GATEWAY, "backend " + reason, null);
  }

  private void attach(Channel ch) {
    backend = ch;
    link = BackendConnections.link(ch);
    link.owner = this;
    endpoint.connectionOpened();
    inFlight = true;
    HAProxyProtocolVersion version = proxyVersion();
    if (version != null && !reused) {
      // A new connection to a PROXY pool's backend: its header first, naming this client.
      ProxyHeaderWriter.write(ch, ProxyHeader.message(version, conn.remote(), conn.destination()));
    }
    ch.write(head, ch.voidPromise());
    lastWritten = false;
    for (HttpContent c; (c = held.poll()) != null; ) {
      if (c instanceof LastHttpContent) lastWritten = true;
      ch.write(c, ch.voidPromise());
    }
    // A bodyless request sent again on a fresh connection (the kept-alive one was gone): its end once more, so
    // the connection's encoder is ready for the next request.
    if (requestDone && !lastWritten) {
      ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
      lastWritten = true;
    }
    heldBytes = 0;
    ch.flush();
    ch.config().setAutoRead(client.isWritable());
    if (!requestDone || h2) client.config().setAutoRead(ch.isWritable());
    lastBackend = System.nanoTime();
    armBackendIdle();
  }

  // ---------------------------------------------------------------- backend -> client

  void fromBackend(Object msg) {
    lastBackend = System.nanoTime();
    if (msg instanceof HttpResponse r) {
      if (r.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        backend.close(); // answered 502 when the close is seen
        return;
      }
      int code = r.status().code();
      if (code >= 100 && code < 200) { // informational: the client gets only the final answer
        skipping = true;
        ReferenceCountUtil.release(msg);
        return;
      }
      responseHead(r);
    }
    if (msg instanceof HttpContent c) {
      if (skipping) {
        if (c instanceof LastHttpContent) skipping = false;
        c.release();
        return;
      }
      int n = c.content().readableBytes();
      conn.counters().bytesOut.add(n);
      if (slot != null) slot.counters().bytesOut.add(n);
      boolean last = c instanceof LastHttpContent;
      client.write(c, client.voidPromise());
      if (last) responseEnd();
    }
  }

  private void responseHead(HttpResponse r) {
    responseStarted = true;
    status = r.status().code();
    boolean framed = HttpUtil.isContentLengthSet(r) || HttpUtil.isTransferEncodingChunked(r)
        || head.method().equals(HttpMethod.HEAD) || status == 204 || status == 304;
    backendReusable = framed && HttpUtil.isKeepAlive(r);
    HttpMessages.stripHopByHop(r.headers());
    if (pool != null) {
      if (pool.persistence() == io.fiberlb.port.SessionPersistenceType.APP_COOKIE) {
        for (String sc : r.headers().getAll(HttpHeaderNames.SET_COOKIE)) {
          CookiePersistence.learn(pool, sc, endpoint.key());
        }
      }
      String mine = CookiePersistence.setCookie(pool, view, slot);
      if (mine != null) r.headers().add(HttpHeaderNames.SET_COOKIE, mine);
    }
    if (!h2) {
      if (!framed) HttpUtil.setTransferEncodingChunked(r, true); // a close-delimited body, chunked to the client
      r.setProtocolVersion(HttpVersion.HTTP_1_1);
      HttpUtil.setKeepAlive(r, clientKeepAlive);
    }
    if (r instanceof FullHttpResponse) {
      // never from HttpClientCodec, but a response object that carries its end is written whole
      client.write(r, client.voidPromise());
      responseEnd();
      return;
    }
    client.write(r, client.voidPromise());
  }

  private void responseEnd() {
    responseDone = true;
    record(status);
    Channel b = backend;
    releaseEndpoint();
    if (backendReusable && requestDone) {
      idleConnections().give(link.key, b, listener.listener().timeoutBackendIdleMs());
    } else {
      link.owner = null;
      b.close();
    }
    backend = null;
    endResponse();
  }

  void backendReadComplete() {
    client.flush();
  }

  void backendWritabilityChanged() {
    if (backend != null && (!requestDone || h2)) client.config().setAutoRead(backend.isWritable());
  }

  /** The backend connection closed while this exchange owned it. */
  void backendClosed(Channel ch) {
    if (ch != backend) return;
    backend = null;
    releaseEndpoint();
    if (responseDone) return;
    if (!responseStarted) {
      if (reused && bodyBytes == 0 && held.isEmpty()) { // a kept-alive connection the backend had closed: once more, fresh
        reused = false;
        tried.remove(tried.size() - 1);
        connect(endpoint);
        return;
      }
      if (slot != null) slot.counters().errors.increment();
      answer(HttpResponseStatus.BAD_GATEWAY, "backend closed the connection", null);
      return;
    }
    // Part of the response has gone: the client cannot be told, only cut.
    if (slot != null) slot.counters().errors.increment();
    record(status);
    conn.counters().errors.increment();
    client.close();
  }

  private void armBackendIdle() {
    long ms = listener.listener().timeoutBackendIdleMs();
    if (ms > 0) front.armBackendIdle(ms);
  }

  /**
   * The backend idle check ({@link HttpFrontend#armBackendIdle}): the milliseconds until it is due again, or 0 when
   * nothing waits on the backend any more (or it has just timed out).
   */
  long checkBackendIdle() {
    if (backend == null || responseDone) return 0;
    long ms = listener.listener().timeoutBackendIdleMs();
    if (ms <= 0) return 0;
    long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastBackend);
    if (quiet < ms) return ms - quiet;
    Channel b = backend;
    backend = null;
    link.owner = null;
    b.close();
    releaseEndpoint();
    if (slot != null) slot.counters().errors.increment();
    if (!responseStarted) {
      answer(HttpResponseStatus.GATEWAY_TIMEOUT, "backend did not answer in time", null);
    } else {
      record(status);
      conn.counters().errors.increment();
      client.close();
    }
    return 0;
  }

  private void releaseEndpoint() {
    if (inFlight) {
      inFlight = false;
      endpoint.connectionClosed();
    }
  }

  // ---------------------------------------------------------------- answers of FiberLB's own

  /** Answers the request here (policy, redirect, error); the rest of its body is dropped as it comes. */
  void answer(HttpResponseStatus status, String why, String location) {
    local = true;
    for (HttpContent c; (c = held.poll()) != null; ) c.release();
    FullHttpResponse r = HttpMessages.answer(client.alloc(), status, why);
    if (location != null) r.headers().set(HttpHeaderNames.LOCATION, location);
    if (!h2) HttpUtil.setKeepAlive(r, clientKeepAlive);
    this.status = status.code();
    responseDone = true;
    record(status.code());
    client.writeAndFlush(r, client.voidPromise());
    endResponse();
  }

  private void endResponse() {
    if (!h2 && !clientKeepAlive) {
      front.closing = true;
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    client.flush();
    if (requestDone || h2) front.finished();
    else if (!local) local = true; // the backend answered before the body ended: the rest is dropped
  }

  private void record(int code) {
    long nanos = System.nanoTime() - startNanos;
    conn.counters().http.record(code, nanos);
    if (slot != null && !local) slot.counters().http.record(code, nanos);
  }

  /** The client went away: whatever is held is released, a backend mid-response is closed. */
  void abandon() {
    for (HttpContent c; (c = held.poll()) != null; ) c.release();
    releaseEndpoint();
    if (backend != null) {
      link.owner = null;
      backend.close();
      backend = null;
    }
  }
}
