package io.fiberlb.controlplane;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code fiberlb.control-plane} and {@code fiberlb.quotas} settings, read once.
 *
 * @param askTimeout how long one entity waits for another (project, VIP pool) before retrying
 * @param retryBackoffMax the longest pause between retries of a create/delete step after a timeout
 * @param idlePassivation how long an entity that holds no load balancer stays in memory
 */
public record ControlPlaneSettings(
    Duration askTimeout,
    int snapshotEvery,
    String vipRange,
    Quotas quotas,
    Duration retryBackoffMin,
    Duration retryBackoffMax,
    Duration idlePassivation) {

  public static ControlPlaneSettings fromConfig(Config root) {
    Config c = root.getConfig("fiberlb.control-plane");
    Config q = root.getConfig("fiberlb.quotas");
    return new ControlPlaneSettings(
        c.getDuration("entity-ask-timeout"),
        c.getInt("snapshot-every"),
        VipPoolEntity.canonicalRange(root.getString("fiberlb.vip-range")),
        new Quotas(q.getInt("load-balancers"), q.getInt("listeners"), q.getInt("pools"), q.getInt("backends"),
            q.getInt("health-checks")),
        c.getDuration("retry-backoff-min"),
        c.getDuration("retry-backoff-max"),
        c.getDuration("idle-passivation"));
  }
}
