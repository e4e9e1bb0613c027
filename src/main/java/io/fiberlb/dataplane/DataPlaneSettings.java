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
 * @param acceptors sockets bound per listener (SO_REUSEPORT when more than one), each accepting on its own
 */
public record DataPlaneSettings(boolean enabled, Duration drainTimeout, Duration bindRetryMin, Duration bindRetryMax,
    int backlog, int acceptors) {

  public static DataPlaneSettings from(Config c) {
    int acceptors = c.getInt("acceptors");
    return new DataPlaneSettings(c.getBoolean("enabled"), c.getDuration("drain-timeout"),
        c.getDuration("bind-retry-min"), c.getDuration("bind-retry-max"), c.getInt("backlog"),
        acceptors > 0 ? acceptors : Runtime.getRuntime().availableProcessors());
  }
}
