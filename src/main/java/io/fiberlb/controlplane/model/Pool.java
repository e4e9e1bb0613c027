package io.fiberlb.controlplane.model;

import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.LbAlgorithm;
import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.controlplane.model.Enums.SessionPersistenceType;
import java.time.Instant;
import java.util.List;

/** A pool: a set of backends and the algorithm that picks one of them for each connection. */
public record Pool(
    String id,
    String name,
    String description,
    Protocol protocol,
    LbAlgorithm lbAlgorithm,
    SessionPersistenceType sessionPersistence,
    long sessionPersistenceTimeoutMs,
    String healthCheckId,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static Pool defaults(String id, long version, Instant now) {
    return new Pool(id, "", "", Protocol.TCP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 3_600_000, "",
        true, List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.POOL;
  }
}
