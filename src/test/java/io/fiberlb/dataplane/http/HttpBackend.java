package io.fiberlb.dataplane.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 backend on an ephemeral loopback port (the JDK's com.sun.net.httpserver): answers what it received
 * (its name, method, path, each header as "h:name=value") or, for a request with a body, the body itself. Counts the
 * connections it has seen (by client port) and the requests.
 *
 * <p>Paths: {@code /slow} answers after 3 s; {@code /bytes?n=N} answers N bytes of a known pattern; {@code
 * /login?session=V} (any path ending in /login) sets cookie {@code SESSION=V}.
 */
public final class HttpBackend implements AutoCloseable {
  public final String name;
  public final AtomicInteger requests = new AtomicInteger();
  final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();

  public HttpBackend(String name) throws IOException {
    this.name = name;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::serve);
    server.setExecutor(threads);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Connections this backend has accepted (distinct client ports). */
  public int connections() {
    return clientPorts.size();
  }

  public static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + (i >> 8));
    return b;
  }

  private void serve(HttpExchange x) throws IOException {
    requests.incrementAndGet();
    clientPorts.add(x.getRemoteAddress().getPort());
    byte[] body;
    try (InputStream in = x.getRequestBody()) {
      body = in.readAllBytes();
    }
    String path = x.getRequestURI().getPath();
    String query = x.getRequestURI().getRawQuery();
    x.getResponseHeaders().add("X-Backend", name);
    if (path.equals("/slow")) {
      try {
        Thread.sleep(3000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    byte[] out;
    if (path.equals("/bytes")) {
      out = pattern(Integer.parseInt(query.substring(2)));
    } else if (body.length > 0) {
      out = body;
    } else {
      if (path.endsWith("/login")) x.getResponseHeaders().add("Set-Cookie", "SESSION=" + query.substring(8) + "; Path=/");
      StringBuilder sb = new StringBuilder("backend=" + name + "\nmethod=" + x.getRequestMethod() + "\npath="
          + x.getRequestURI() + "\n");
      for (Map.Entry<String, List<String>> h : x.getRequestHeaders().entrySet()) {
        for (String v : h.getValue()) sb.append("h:").append(h.getKey().toLowerCase()).append('=').append(v).append('\n');
      }
      out = sb.toString().getBytes(StandardCharsets.UTF_8);
    }
    x.sendResponseHeaders(200, out.length);
    try (OutputStream os = x.getResponseBody()) {
      os.write(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
