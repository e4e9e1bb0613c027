package io.fiberlb.dataplane.health;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Real backends on ephemeral loopback ports for the health monitor tests. */
final class TestBackends {
  private TestBackends() {}

  /**
   * What a {@link RawBackend} does with one accepted connection; the socket is closed after it returns. It answers
   * whether the client closed the connection first.
   */
  @FunctionalInterface
  interface Script {
    boolean run(Socket socket) throws IOException;
  }

  /** Reads until the client closes or resets the connection. */
  static final Script READ_TO_EOF = TestBackends::drain;

  /** Reads the request head, then answers nothing and waits for the client to give up. */
  static final Script SILENT = s -> {
    io.fiberlb.dataplane.http.Clients.readHead(s.getInputStream());
    return drain(s);
  };

  /** Reads the request head, then resets the connection (SO_LINGER 0). */
  static final Script RESET = s -> {
    io.fiberlb.dataplane.http.Clients.readHead(s.getInputStream());
    s.setSoLinger(true, 0);
    return false;
  };

  /** Reads the request head, then closes without a word. */
  static final Script CLOSE = s -> {
    io.fiberlb.dataplane.http.Clients.readHead(s.getInputStream());
    return false;
  };

  /** Reads the request head, then answers something that is not HTTP. */
  static final Script GARBAGE = s -> {
    io.fiberlb.dataplane.http.Clients.readHead(s.getInputStream());
    OutputStream out = s.getOutputStream();
    out.write("SSH-2.0-OpenSSH_9.6\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return false;
  };

  /**
   * A loopback TCP server running a {@link Script} per connection on its own thread. It can be stopped (connections
   * are then refused) and started again on the same port.
   */
  static final class RawBackend implements AutoCloseable {
    final AtomicInteger accepted = new AtomicInteger();
    /** Connections the client closed or reset (rather than the backend). */
    final AtomicInteger closedByClient = new AtomicInteger();
    private final Script script;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    final int port;

    RawBackend(Script script) throws IOException {
      this.script = script;
      this.port = listen(0);
    }

    /**
     * Connections accepted and not yet ended: the script still runs on them. Exact, unlike {@code accepted -
     * closedByClient}, which stays above zero for good once {@link #stop} has cut a connection the client had open.
     */
    int openConnections() {
      return open.size();
    }

    void stop() throws IOException {
      server.close();
      for (Socket s : open) s.close();
    }

    void restart() throws IOException {
      listen(port);
    }

    @Override
    public void close() throws IOException {
      stop();
    }

    private int listen(int p) throws IOException {
      var ss = new ServerSocket();
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
      server = ss;
      daemon("backend-accept-" + ss.getLocalPort(), () -> {
        while (!ss.isClosed()) {
          try {
            Socket s = ss.accept();
            open.add(s);
            accepted.incrementAndGet();
            daemon("backend-conn", () -> serve(s));
          } catch (IOException closed) {
            return;
          }
        }
      });
      return ss.getLocalPort();
    }

    private void serve(Socket s) {
      try (s) {
        if (script.run(s)) closedByClient.incrementAndGet();
      } catch (IOException ignored) {
        // the test stopped the backend
      } finally {
        open.remove(s);
      }
    }
  }

  /**
   * An HTTP backend answering every request with {@link #status}, and keeping what it was asked; over TLS when given
   * an {@link SSLContext} (an HTTPS backend, or any TLS server for a TLS_HELLO check).
   */
  static final class HttpBackend implements AutoCloseable {
    /** One request as the backend saw it; {@code protocol} from its request line ({@code HTTP/1.1}). */
    record Request(String method, String path, Headers headers, String protocol) {}

    final AtomicInteger status;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    final int port;

    HttpBackend(int status) throws IOException {
      this(status, null);
    }

    HttpBackend(int status, SSLContext tls) throws IOException {
      this.status = new AtomicInteger(status);
      var at = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      if (tls == null) {
        server = HttpServer.create(at, 16);
      } else {
        HttpsServer https = HttpsServer.create(at, 16);
        https.setHttpsConfigurator(new HttpsConfigurator(tls));
        server = https;
      }
      server.createContext("/", exchange -> {
        requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
            exchange.getRequestHeaders(), exchange.getProtocol()));
        exchange.sendResponseHeaders(this.status.get(), -1);
        exchange.close();
      });
      server.start();
      port = server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** A server TLS context with a certificate for 127.0.0.1 and localhost from a CA no probe knows. */
  static SSLContext selfSignedTls(java.nio.file.Path dir) throws Exception {
    var ca = io.fiberlb.it.TestPki.ca(dir, "probe-ca");
    var leaf = io.fiberlb.it.TestPki.server(dir, "probe-server", ca);
    var keys = java.security.KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] password = "test".toCharArray();
    keys.setKeyEntry("server", leaf.key(), password, new java.security.cert.Certificate[] {leaf.cert(), ca.cert()});
    var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, password);
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(kmf.getKeyManagers(), null, null);
    return c;
  }

  /** Reads until the peer closes or resets the connection (true), or the test closes the socket (false). */
  private static boolean drain(Socket s) {
    byte[] buf = new byte[512];
    try {
      InputStream in = s.getInputStream();
      while (in.read(buf) >= 0) {
        // discard
      }
      return true;
    } catch (IOException e) {
      return !s.isClosed();
    }
  }

  private static void daemon(String name, Runnable r) {
    var t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }
}
