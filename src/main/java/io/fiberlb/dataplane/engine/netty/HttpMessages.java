package io.fiberlb.dataplane.engine.netty;

import io.fiberlb.dataplane.l7.HttpRequestView;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** What the HTTP engine does to messages: its own small answers, hop-by-hop headers, inserted headers. */
final class HttpMessages {
  private HttpMessages() {}

  /** A small text answer of FiberLB's own (403, 431, 502, 503, 504, redirects). */
  static FullHttpResponse answer(ByteBufAllocator alloc, HttpResponseStatus status, String why) {
    byte[] body = (status.code() + " " + status.reasonPhrase() + (why.isEmpty() ? "" : ": " + why) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    ByteBuf content = alloc.buffer(body.length).writeBytes(body);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    return r;
  }

  /**
   * Removes the hop-by-hop headers (RFC 9110 7.6.1: Connection and the headers it names, Keep-Alive,
   * Proxy-Connection, TE, Upgrade); Transfer-Encoding stays, it frames the message on the next hop. HTTP/2's
   * extension headers (x-http2-*) added by Netty's conversion go too.
   */
  static void stripHopByHop(HttpHeaders h) {
    if (h.contains(HttpHeaderNames.CONNECTION)) {
      for (String c : h.getAll(HttpHeaderNames.CONNECTION)) {
        for (String token : c.split(",")) {
          String name = token.trim();
          if (!name.isEmpty() && !name.equalsIgnoreCase("transfer-encoding")) h.remove(name);
        }
      }
      h.remove(HttpHeaderNames.CONNECTION);
    }
    h.remove(HttpHeaderNames.KEEP_ALIVE);
    h.remove(HttpHeaderNames.PROXY_CONNECTION);
    h.remove(HttpHeaderNames.TE);
    h.remove(HttpHeaderNames.UPGRADE);
    // HTTP/2's extension headers (x-http2-stream-id ...): one pass over the names as they are, nothing allocated
    // unless one is there (this runs for every request and response).
    List<CharSequence> ext = null;
    for (var it = h.iteratorCharSequence(); it.hasNext(); ) {
      CharSequence n = it.next().getKey();
      if (n.length() >= 8 && io.netty.util.AsciiString.regionMatches(n, true, 0, "x-http2-", 0, 8)) {
        if (ext == null) ext = new java.util.ArrayList<>(2);
        ext.add(n);
      }
    }
    if (ext != null) ext.forEach(h::remove);
  }

  /**
   * Octavia's insert_headers: X-Forwarded-For (the client's address appended to what the request carries),
   * X-Forwarded-Port (the listener's port), X-Forwarded-Proto (http or https), X-Request-Id (a random id when the
   * request has none), and on TERMINATED_HTTPS the client certificate's X-SSL-* ({@link ClientCertificateHeaders},
   * read only when one is asked for; a client's own value of such a header is always replaced or removed). Names are
   * matched case-insensitively; a value other than "true" leaves the header out.
   */
  static void insert(HttpHeaders h, Map<String, String> insertHeaders, String clientIp, int port, boolean https,
      java.util.function.Supplier<ClientCertificateHeaders> clientCertificate) {
    if (insertHeaders.isEmpty()) return;
    for (Map.Entry<String, String> e : insertHeaders.entrySet()) {
      if (!"true".equalsIgnoreCase(e.getValue().trim())) continue;
      String name = e.getKey().toLowerCase(Locale.ROOT);
      switch (name) {
        case "x-forwarded-for" -> {
          String before = String.join(", ", h.getAll("X-Forwarded-For"));
          h.set("X-Forwarded-For", before.isEmpty() ? clientIp : before + ", " + clientIp);
        }
        case "x-forwarded-port" -> h.set("X-Forwarded-Port", Integer.toString(port));
        case "x-forwarded-proto" -> h.set("X-Forwarded-Proto", https ? "https" : "http");
        case "x-request-id" -> {
          if (!h.contains("X-Request-Id")) h.set("X-Request-Id", requestId());
        }
        default -> {
          if (name.startsWith("x-ssl-")) {
            String v = https ? clientCertificate.get().value(name) : null;
            if (v == null) h.remove(e.getKey());
            else h.set(e.getKey(), v);
          }
        }
      }
    }
  }

  private static String requestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("%016x%016x", r.nextLong(), r.nextLong());
  }

  /** A request as L7 rules and cookie persistence see it; the Cookie header is parsed only when asked. */
  static final class RequestView implements HttpRequestView {
    private final HttpRequest req;
    private final String path;
    private final String pathAndQuery;
    private java.util.Set<Cookie> cookies;

    RequestView(HttpRequest req) {
      this.req = req;
      String uri = req.uri();
      if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
        int slash = uri.indexOf('/', uri.indexOf("//") + 2); // absolute form: the authority is not the path
        uri = slash < 0 ? "/" : uri.substring(slash);
      }
      this.pathAndQuery = uri.isEmpty() ? "/" : uri;
      int end = pathAndQuery.length();
      int q = pathAndQuery.indexOf('?');
      if (q >= 0) end = q;
      int f = pathAndQuery.indexOf('#');
      if (f >= 0 && f < end) end = f;
      this.path = end == 0 ? "/" : pathAndQuery.substring(0, end);
    }

    @Override
    public String host() {
      return req.headers().get(HttpHeaderNames.HOST);
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public String pathAndQuery() {
      return pathAndQuery;
    }

    @Override
    public String header(String name) {
      return req.headers().get(name);
    }

    @Override
    public String cookie(String name) {
      if (cookies == null) {
        cookies = new java.util.HashSet<>();
        for (String c : req.headers().getAll(HttpHeaderNames.COOKIE)) cookies.addAll(ServerCookieDecoder.LAX.decodeAll(c));
      }
      for (Cookie c : cookies) {
        if (c.name().equals(name)) return c.value();
      }
      return null;
    }
  }
}
