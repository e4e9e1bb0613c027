package io.fiberlb.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For benchmarks: waits until every one of many VIPs has served one connection (a round trip through VIP:port; a
 * refused or failed try is retried after 20 ms), recording when each first did. Optionally serves the backends
 * itself (an echo on the given addresses and port). Blocking sockets on plain threads: the measured server is what
 * is slow here.
 */
public final class VipSweep implements AutoCloseable {
  private final List<String> vips;
  private final int port;
  private final int concurrency;
  private final List<ServerSocket> echoes = new ArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "vip-sweep");
    t.setDaemon(true);
    return t;
  });
  public final AtomicLong failedTries = new AtomicLong();
  private final long[] servedAt;
  private final CountDownLatch done;

  /** @param echoHosts where to serve an echo on {@code echoPort} (none when empty) */
  public VipSweep(List<String> vips, int port, int concurrency, List<String> echoHosts, int echoPort)
      throws IOException {
    this.vips = List.copyOf(vips);
    this.port = port;
    this.concurrency = concurrency;
    this.servedAt = new long[vips.size()];
    this.done = new CountDownLatch(vips.size());
    for (String host : echoHosts) {
      var server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(host, echoPort), 1024);
      echoes.add(server);
      threads.execute(() -> acceptLoop(server));
    }
  }

  private void acceptLoop(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        var socket = server.accept();
        threads.execute(() -> {
          try (socket) {
            socket.setSoTimeout(10_000);
            var in = socket.getInputStream();
            var out = socket.getOutputStream();
            byte[] buf = new byte[256];
            for (int r; (r = in.read(buf)) > 0; ) out.write(buf, 0, r);
          } catch (IOException ignored) {
            // the client went away
          }
        });
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** Starts sweeping until every VIP has served once or {@code deadline} (epoch ms) passes. */
  public void start(long deadline) {
    var next = new AtomicInteger();
    for (int w = 0; w < concurrency; w++) {
      threads.execute(() -> {
        for (int i; (i = next.getAndIncrement()) < vips.size(); ) {
          while (System.currentTimeMillis() < deadline) {
            if (roundTrip(vips.get(i))) {
              servedAt[i] = System.currentTimeMillis();
              done.countDown();
              break;
            }
            failedTries.incrementAndGet();
            try {
              Thread.sleep(20);
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      });
    }
  }

  private boolean roundTrip(String vip) {
    try (var socket = new Socket()) {
      socket.connect(new InetSocketAddress(vip, port), 1000);
      socket.setSoTimeout(2000);
      socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      return socket.getInputStream().read() >= 0; // an echo, or EchoBackend's "ping#name"
    } catch (IOException e) {
      return false;
    }
  }

  /** Epoch ms at which each VIP first served; fails naming how many never did by {@code deadline}. */
  public long[] await(long deadline) throws InterruptedException {
    if (!done.await(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(done.getCount() + " of " + vips.size() + " VIPs never served");
    }
    return servedAt.clone();
  }

  @Override
  public void close() {
    for (var e : echoes) {
      try {
        e.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    threads.shutdownNow();
  }
}
