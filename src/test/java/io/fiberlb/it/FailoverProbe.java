package io.fiberlb.it;

import java.io.IOException;
import java.time.Duration;

/** How long a VIP goes without service while its owner dies or leaves: shared by ClusterProcessTest and the bench. */
final class FailoverProbe {
  private FailoverProbe() {}

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
}
