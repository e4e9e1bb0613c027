package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static io.fiberlb.dataplane.http.HttpDataPlane.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.it.Poll;
import io.fiberlb.it.ScriptedBackend;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HTTP engine's idle timers, which are armed once and re-armed lazily from the last activity (not scheduled per
 * request): an idle kept-alive backend connection is closed after the listener's backend idle timeout, an idle client
 * connection after the client idle timeout, and a connection that stays busy is never closed by a timer armed
 * before its latest request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpIdleTimersTest {
  private static final long CLIENT_IDLE_MS = 600;
  private static final long BACKEND_IDLE_MS = 400;

  private HttpDataPlane dp;
  private ScriptedBackend backend;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger closedByProxy = new AtomicInteger();
  private final int port = freePort();

  @BeforeAll
  void start() throws Exception {
    dp = new HttpDataPlane();
    // A keep-alive backend: answers every request on the connection until the proxy closes it, and counts that close.
    backend = new ScriptedBackend(c -> {
      accepted.incrementAndGet();
      var in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
      OutputStream out = c.getOutputStream();
      while (true) {
        String line = in.readLine();
        if (line == null) {
          closedByProxy.incrementAndGet();
          return;
        }
        while (line != null && !line.isEmpty()) line = in.readLine(); // the rest of the head; no body here
        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    });
    var listener = new DesiredListener("idle", Protocol.HTTP, port, "p", -1, CLIENT_IDLE_MS, 2_000, BACKEND_IDLE_MS,
        List.of(), true, Map.of(), List.of(), null, false);
    dp.applyAndWaitBound(HttpDataPlane.lb(List.of(listener), List.of(pool("p")),
        List.of(new DesiredBackend("b", "p", "127.0.0.1", backend.port(), 1, true, false, 0))));
  }

  @AfterAll
  void stop() throws Exception {
    backend.close();
    dp.close();
  }

  @Test
  void idleClientAndIdleBackendConnectionsAreClosedAfterTheirTimeouts() throws Exception {
    int closedBefore = closedByProxy.get();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      assertThat(exchange(s)).isEqualTo("ok");
      // The backend connection went back to the idle pool: closed by the proxy after the backend idle timeout.
      Poll.until("the idle backend connection closed by the proxy", Duration.ofSeconds(10), closedByProxy::get,
          n -> n > closedBefore);
      // The client connection, silent since its answer, is closed after the client idle timeout.
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).as("the proxy closed the idle client connection").isEqualTo(-1);
    }
  }

  @Test
  void aConnectionKeptBusyIsNotClosedByATimerArmedBeforeItsLastRequest() throws Exception {
    int acceptedBefore = accepted.get();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      // Requests every 150 ms for 1.5 s: well past both timeouts in total, never idle for as long as either.
      long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
      int n = 0;
      while (System.nanoTime() < end) {
        assertThat(exchange(s)).as("request %d on one client connection", n).isEqualTo("ok");
        n++;
        Thread.sleep(150); // the scenario: a client that pauses less than the idle timeouts between requests
      }
      assertThat(n).isGreaterThanOrEqualTo(5);
    }
    // One client connection, one event loop: every request was served by the same kept-alive backend connection
    // (or one left idle by the other test), so at most one new backend connection.
    assertThat(accepted.get() - acceptedBefore).isLessThanOrEqualTo(1);
  }

  /** One keep-alive GET on {@code s}: the body of its answer. */
  private static String exchange(Socket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    s.setSoTimeout(5_000);
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    int length = -1;
    try {
      while (true) {
        String line = Clients.readLine(in);
        if (line.isEmpty()) break;
        head.append(line).append('\n');
        if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer in 5 s; head so far: " + head, e);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 200");
    return new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

}
