package io.fiberlb.controlplane.model;

import io.fiberlb.controlplane.model.Enums.Kind;
import java.time.Instant;
import java.util.List;

/** A backend (Octavia: member): one address:port of a pool. Weight 0 drains it. */
public record Backend(
    String id,
    String poolId,
    String name,
    String address,
    int protocolPort,
    int weight,
    boolean adminStateUp,
    boolean backup,
    int monitorPort,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static final int MAX_WEIGHT = 256;

  public static Backend defaults(String id, String poolId, long version, Instant now) {
    return new Backend(id, poolId, "", "", 0, 1, true, false, 0, List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.BACKEND;
  }
}
