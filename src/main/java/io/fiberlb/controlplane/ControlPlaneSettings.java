package io.fiberlb.controlplane;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code fiberlb.control-plane} and {@code fiberlb.quotas} settings, read once.
 *
 * @param askTimeout how long one entity waits for another (project, VIP pool) before retrying
 * @param retryBackoffMax the longest pause between retries of a create/delete step after a timeout
 * @param idlePassivation how long an entity that holds no load balancer stays in memory
 * @param keepSnapshots how many of a load balancer's snapshots to keep, newest first; 0 keeps every one (the audit
 *     starts a replay from the newest snapshot before the point asked for)
 */
public record ControlPlaneSettings(
    Duration askTimeout,
    int snapshotEvery,
    String vipRange,
    Quotas quotas,
    Duration retryBackoffMin,
    Duration retryBackoffMax,
    Duration idlePassivation,
    int keepSnapshots) {

  public static ControlPlaneSettings fromConfig(Config root) {
    Config c = root.getConfig("fiberlb.control-plane");
    Config q = root.getConfig("fiberlb.quotas");
    return new ControlPlaneSettings(
        c.getDuration("entity-ask-timeout"),
        c.getInt("snapshot-every"),
        VipPoolEntity.canonicalRange(root.getString("fiberlb.vip-range")),
        new Quotas(q.getInt("load-balancers"), q.getInt("listeners"), q.getInt("pools"), q.getInt("backends"),
            q.getInt("health-checks"), q.getInt("l7-policies"), q.getInt("l7-rules"), q.getInt("certificates")),
        c.getDuration("retry-backoff-min"),
        c.getDuration("retry-backoff-max"),
        c.getDuration("idle-passivation"),
        keepSnapshots(c));
  }

  private static int keepSnapshots(Config c) {
    String v = c.getString("keep-snapshots").trim();
    if (v.equals("all")) return 0;
    try {
      int n = Integer.parseInt(v);
      if (n >= 1) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("fiberlb.control-plane.keep-snapshots: must be \"all\" or a number of 1 or more, got "
        + v);
  }
}
