package io.fiberlb.controlplane.model;

import io.fiberlb.controlplane.model.Enums.HealthCheckType;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.time.Instant;
import java.util.List;

/** A health check (Octavia: health monitor): how the backends of the pools that use it are probed. */
public record HealthCheck(
    String id,
    String name,
    HealthCheckType type,
    long intervalMs,
    long timeoutMs,
    int rise,
    int fall,
    String httpMethod,
    String urlPath,
    String expectedCodes,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static HealthCheck defaults(String id, long version, Instant now) {
    return new HealthCheck(id, "", HealthCheckType.TCP, 5_000, 2_000, 2, 3, "GET", "/", "200", true, List.of(),
        version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.HEALTH_CHECK;
  }
}
