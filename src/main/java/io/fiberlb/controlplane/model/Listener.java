package io.fiberlb.controlplane.model;

import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.Protocol;
import java.time.Instant;
import java.util.List;

/** A listener: the VIP port a load balancer accepts connections on, and where they go. */
public record Listener(
    String id,
    String name,
    String description,
    Protocol protocol,
    int protocolPort,
    String defaultPoolId,
    int connectionLimit,
    long timeoutClientIdleMs,
    long timeoutBackendConnectMs,
    long timeoutBackendIdleMs,
    List<String> allowedCidrs,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static final int UNLIMITED = -1;

  /** Defaults as Octavia has them: unlimited connections, 50 s idle timeouts, 5 s connect timeout. */
  public static Listener defaults(String id, long version, Instant now) {
    return new Listener(id, "", "", Protocol.TCP, 0, "", UNLIMITED, 50_000, 5_000, 50_000, List.of(), true,
        List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.LISTENER;
  }
}
