package io.fiberlb.it;

import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Pool;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** How long a VIP goes without service while its owner dies or leaves: shared by ClusterProcessTest and the bench. */
final class FailoverProbe {
  private FailoverProbe() {}

  /** A load balancer that serves: its listener's port and its backends' ids. */
  record ServedLb(LoadBalancer lb, int port, List<String> backendIds) {
    String vip() {
      return lb.getVipAddress();
    }
  }

  /**
   * Creates a load balancer named {@code name} with a pool of {@code backends} behind a listener on a free port,
   * and waits until its VIP serves; fails saying so when it does not within a minute.
   */
  static ServedLb servedLb(TestServer.Api api, String name, List<EchoBackend> backends) throws IOException {
    LoadBalancer lb = api.createLb(name);
    Pool pool = api.createPool(lb.getId(), "p");
    List<String> ids = new ArrayList<>();
    for (EchoBackend b : backends) ids.add(api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", b.port()).getId());
    int port = DataPlaneTest.freePort();
    api.createListener(lb.getId(), port, pool.getId());
    if (FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(60)).isEmpty()) {
      throw new AssertionError("load balancer " + name + " did not serve " + lb.getVipAddress() + ":" + port + " within 60 s");
    }
    return new ServedLb(lb, port, ids);
  }

  /** Polls a create until the journal takes writes again; fails saying so after a minute. */
  static Pool awaitWritable(TestServer.Api api, String lbId) {
    return Poll.until("a write accepted again", Duration.ofSeconds(60), () -> {
      try {
        return api.createPool(lbId, "after-" + System.nanoTime());
      } catch (RuntimeException e) {
        return null;
      }
    }, p -> p != null);
  }

  private static boolean served(String vip, int port) {
    try {
      return !TcpClient.whoServes(vip, port).isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills {@code owner} with SIGKILL: milliseconds until a connection through the VIP is served again, or -1. */
  static long afterKill(ClusterNodes.Node owner, String vip, int port, Duration limit) throws InterruptedException {
    long t0 = System.nanoTime();
    owner.kill();
    long deadline = t0 + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (served(vip, port)) return (System.nanoTime() - t0) / 1_000_000;
      Thread.sleep(20);
    }
    return -1;
  }

  /** The longest gap without service and when the old owner exited, in milliseconds, after a SIGTERM. */
  record Handover(long longestGapMs, long exitedAfterMs) {}

  /**
   * Sends SIGTERM to {@code owner} and connects every 20 ms until the VIP has been served after the old owner's
   * exit; null if that did not happen within {@code limit}.
   */
  static Handover afterSigterm(ClusterNodes.Node owner, String vip, int port, Duration limit)
      throws InterruptedException {
    long t0 = System.nanoTime();
    owner.process.destroy();
    long lastServed = t0;
    long longestGap = 0;
    long exitedAt = 0;
    long deadline = t0 + limit.toNanos();
    while (System.nanoTime() < deadline) {
      boolean served = served(vip, port);
      long now = System.nanoTime();
      if (exitedAt == 0 && !owner.process.isAlive()) exitedAt = now;
      if (served) {
        longestGap = Math.max(longestGap, now - lastServed);
        lastServed = now;
        if (exitedAt != 0) return new Handover(longestGap / 1_000_000, (exitedAt - t0) / 1_000_000);
      } else {
        Thread.sleep(20);
      }
    }
    return null;
  }

  /**
   * Runs {@code move} (a blocking call that returns once the load balancer runs elsewhere) on another thread while
   * connecting every 20 ms: the longest time without service in milliseconds, measured until the move returned and
   * the VIP was served after it; -1 if that did not happen within {@code limit}.
   */
  static long longestGapDuring(java.util.concurrent.Callable<?> move, String vip, int port, Duration limit)
      throws Exception {
    var done = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return move.call();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
    long t0 = System.nanoTime();
    long lastServed = t0;
    long longestGap = 0;
    long deadline = t0 + limit.toNanos();
    while (System.nanoTime() < deadline) {
      boolean finished = done.isDone();
      boolean served = served(vip, port);
      long now = System.nanoTime();
      if (served) {
        longestGap = Math.max(longestGap, now - lastServed);
        lastServed = now;
        if (finished) {
          done.join(); // a failed move fails the caller
          return longestGap / 1_000_000;
        }
      } else {
        Thread.sleep(20);
      }
    }
    return -1;
  }

  /** One write's answer: how long it took, and its status. */
  record Outcome(boolean ok, io.grpc.Status.Code code, String message, long millis) {}

  /** Creates pools on one load balancer, one after the other, on its own thread, until closed. */
  static final class Writer implements AutoCloseable {
    private final java.util.List<Outcome> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean stop;
    private final Thread thread;

    Writer(TestServer.Api api, String lbId) {
      thread = new Thread(() -> {
        int n = 0;
        while (!stop) {
          long t0 = System.nanoTime();
          try {
            api.createPool(lbId, "during-" + n++);
            outcomes.add(new Outcome(true, io.grpc.Status.Code.OK, "", (System.nanoTime() - t0) / 1_000_000));
          } catch (RuntimeException e) {
            var s = TestServer.statusOf(e);
            outcomes.add(new Outcome(false, s.getCode(), String.valueOf(s.getDescription()),
                (System.nanoTime() - t0) / 1_000_000));
          }
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "failover-writer");
      thread.start();
    }

    /** Waits until a write is accepted after a refused one. */
    void awaitAccepted(Duration limit) {
      Poll.until("a write accepted after the failover", limit, () -> {
        var all = java.util.List.copyOf(outcomes);
        int firstRefused = -1;
        for (int i = 0; i < all.size(); i++) if (!all.get(i).ok()) { firstRefused = i; break; }
        if (firstRefused < 0) return false;
        for (int i = firstRefused + 1; i < all.size(); i++) if (all.get(i).ok()) return true;
        return false;
      }, ok -> ok);
    }

    java.util.List<Outcome> outcomes() {
      return java.util.List.copyOf(outcomes);
    }

    String summary() {
      var all = outcomes();
      long refused = all.stream().filter(o -> !o.ok()).count();
      long slowest = all.stream().mapToLong(Outcome::millis).max().orElse(0);
      return all.size() + " writes, " + refused + " refused (" + all.stream().filter(o -> !o.ok())
          .map(o -> o.code() + " " + o.message()).findFirst().orElse("-") + "), slowest " + slowest + " ms";
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(30_000);
    }
  }
}
