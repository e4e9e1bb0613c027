package io.fiberlb.dataplane.http;

import static io.fiberlb.dataplane.http.HttpDataPlane.freePort;
import static io.fiberlb.dataplane.http.HttpDataPlane.pool;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.it.Poll;
import io.fiberlb.it.ScriptedBackend;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
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
 * The HTTP engine's error paths with real sockets: whatever side fails mid-message, the other side's connection is
 * closed (never left open, never given back to the keep-alive pool) and the listener counts no connection open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpErrorPathTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private HttpDataPlane dp;
  private final int resets = freePort();
  private final int uploads = freePort();
  private final int downloads = freePort();
  /** Answers 1,000 bytes of a 100,000-byte body, then resets the connection. */
  private ScriptedBackend resetter;
  /** Reads a request head and then its body until the proxy closes the connection; counts those closes. */
  private ScriptedBackend sink;
  private final AtomicInteger sinkSawEnd = new AtomicInteger();
  /** Streams a 1 GiB body until writing fails; counts those failures (the proxy closed the connection). */
  private ScriptedBackend streamer;
  private final AtomicInteger streamerCut = new AtomicInteger();

  private static DesiredListener http(String id, int port, String pool) {
    return new DesiredListener(id, Protocol.HTTP, port, pool, -1, 30_000, 2_000, 30_000, List.of(), true, Map.of(),
        List.of(), null, false);
  }

  @BeforeAll
  void start() throws Exception {
    resetter = new ScriptedBackend(c -> {
      Clients.readHead(c.getInputStream());
      OutputStream out = c.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.write(new byte[1000]);
      out.flush();
      c.setSoLinger(true, 0); // the close below is a reset
    });
    sink = new ScriptedBackend(c -> {
      Clients.readHead(c.getInputStream());
      if (c.getInputStream().transferTo(OutputStream.nullOutputStream()) >= 0) sinkSawEnd.incrementAndGet();
    });
    streamer = new ScriptedBackend(c -> {
      Clients.readHead(c.getInputStream());
      OutputStream out = c.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[64 * 1024];
      try {
        for (int i = 0; i < 16384; i++) out.write(chunk);
      } catch (IOException cut) {
        streamerCut.incrementAndGet();
      }
    });
    dp = new HttpDataPlane();
    dp.applyAndWaitBound(HttpDataPlane.lb(
        List.of(http("resets", resets, "preset"), http("uploads", uploads, "psink"),
            http("downloads", downloads, "pstream")),
        List.of(pool("preset"), pool("psink"), pool("pstream")),
        List.of(new DesiredBackend("breset", "preset", "127.0.0.1", resetter.port(), 1, true, false, 0),
            new DesiredBackend("bsink", "psink", "127.0.0.1", sink.port(), 1, true, false, 0),
            new DesiredBackend("bstream", "pstream", "127.0.0.1", streamer.port(), 1, true, false, 0))));
  }

  @AfterAll
  void stop() throws Exception {
    dp.close();
    resetter.close();
    sink.close();
    streamer.close();
  }

  @Test
  void aBackendResetMidResponseCutsTheClientAndLeavesNothingOpen() throws Exception {
    long errors = dp.stats().backends.get("breset").errors.sum();
    for (int i = 0; i < 3; i++) {
      try (Socket s = new Socket("127.0.0.1", resets)) {
        s.setSoTimeout(10_000);
        s.getOutputStream().write("GET /cut HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        String got = readToEnd(s.getInputStream());
        assertThat(got).startsWith("HTTP/1.1 200");
        assertThat(got.length()).as("the client is cut short, not told the body ended").isLessThan(100_000);
      }
    }
    assertThat(dp.stats().backends.get("breset").errors.sum()).isEqualTo(errors + 3);
    Poll.until("no client connection open", WAIT, () -> dp.stats().listeners.get("resets").active.get(), n -> n == 0);
    Poll.until("no backend connection open", WAIT, () -> dp.stats().backends.get("breset").active.get(), n -> n == 0);
  }

  @Test
  void aClientGoneMidRequestBodyClosesTheBackendConnection() throws Exception {
    int before = sinkSawEnd.get();
    try (Socket s = new Socket("127.0.0.1", uploads)) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + (1 << 20) + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.write(new byte[200 * 1024]); // a fifth of the announced mebibyte
      out.flush();
      Poll.until("the backend connected", WAIT, () -> dp.stats().backends.get("bsink").active.get(), n -> n == 1);
    }
    Poll.until("the backend saw its connection end", WAIT, sinkSawEnd::get, n -> n == before + 1);
    Poll.until("no client connection open", WAIT, () -> dp.stats().listeners.get("uploads").active.get(), n -> n == 0);
    Poll.until("no backend connection open", WAIT, () -> dp.stats().backends.get("bsink").active.get(), n -> n == 0);
  }

  @Test
  void aClientGoneMidResponseClosesTheBackendConnection() throws Exception {
    int before = streamerCut.get();
    try (Socket s = new Socket("127.0.0.1", downloads)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      assertThat(s.getInputStream().readNBytes(1 << 20)).hasSize(1 << 20); // a mebibyte of the gibibyte, then gone
    }
    Poll.until("the backend's writes failed", WAIT, streamerCut::get, n -> n == before + 1);
    Poll.until("no client connection open", WAIT, () -> dp.stats().listeners.get("downloads").active.get(),
        n -> n == 0);
    Poll.until("no backend connection open", WAIT, () -> dp.stats().backends.get("bstream").active.get(),
        n -> n == 0);
  }

  /** What the peer sends until it closes (a reset counts as a close). */
  private static String readToEnd(InputStream in) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) b.write(buf, 0, n);
    } catch (IOException reset) {
      // closed by a reset: what came before is what was received
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
