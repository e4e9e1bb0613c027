package io.fiberlb.dataplane;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The data plane's settings ({@code fiberlb.dataplane} in application.conf).
 *
 * @param enabled whether load balancers bind their listeners on this node
 * @param drainTimeout how long open connections may finish after their listener is deleted or changed
 * @param bindRetryMin first wait before binding again a port that was taken
 * @param bindRetryMax longest wait between bind attempts
 * @param backlog the listen backlog of each listener socket
 * @param acceptors the pekko engine's sockets per listener (SO_REUSEPORT when more than one)
 * @param engine {@code netty} or {@code pekko}: what moves the bytes
 * @param eventLoops the netty engine's event loops (threads), one per CPU when 0
 * @param epoll whether the netty engine uses native epoll when it loads (NIO otherwise)
 * @param udpMaxFlows UDP flows one listener keeps open at once when its connection_limit is unlimited
 * @param statsFlushInterval how often traffic totals are saved to the database; zero: never (counters start at 0)
 * @param serveBeforeRecovery whether a load balancer starting on this node serves what it last served (table
 *     served_configs) before its entity has recovered ({@link ServedConfigs})
 */
public record DataPlaneSettings(boolean enabled, Duration drainTimeout, Duration bindRetryMin, Duration bindRetryMax,
    int backlog, int acceptors, String engine, int eventLoops, boolean epoll, int udpMaxFlows,
    Duration statsFlushInterval, boolean serveBeforeRecovery) {

  public static final java.util.List<String> ENGINES = java.util.List.of("netty", "pekko");

  public static DataPlaneSettings from(Config c) {
    int acceptors = c.getInt("acceptors");
    String engine = c.getString("engine").trim().toLowerCase(java.util.Locale.ROOT);
    if (!ENGINES.contains(engine)) {
      throw new IllegalArgumentException("fiberlb.dataplane.engine (FIBERLB_DATAPLANE_ENGINE): must be one of "
          + ENGINES + ", got '" + c.getString("engine") + "'");
    }
    return new DataPlaneSettings(c.getBoolean("enabled"), c.getDuration("drain-timeout"),
        c.getDuration("bind-retry-min"), c.getDuration("bind-retry-max"), c.getInt("backlog"),
        acceptors > 0 ? acceptors : Runtime.getRuntime().availableProcessors(), engine, c.getInt("event-loops"),
        c.getBoolean("epoll"), udpMaxFlows(c), c.getDuration("stats-flush-interval"),
        c.getBoolean("serve-before-recovery"));
  }

  private static int udpMaxFlows(Config c) {
    int n = c.getInt("udp-max-flows");
    if (n < 1) {
      throw new IllegalArgumentException("fiberlb.dataplane.udp-max-flows (FIBERLB_UDP_MAX_FLOWS): must be at least 1,"
          + " got " + n);
    }
    return n;
  }
}
