package io.fiberlb.controlplane.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * The writable fields of a child resource, each {@code null} when the caller did not set it. Create applies a
 * patch onto the kind's defaults, update onto the current record: one code path, then one validation.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = ChildPatch.ListenerPatch.class, name = "listener"),
  @JsonSubTypes.Type(value = ChildPatch.PoolPatch.class, name = "pool"),
  @JsonSubTypes.Type(value = ChildPatch.BackendPatch.class, name = "backend"),
  @JsonSubTypes.Type(value = ChildPatch.HealthCheckPatch.class, name = "health_check")
})
public sealed interface ChildPatch extends CborSerializable {
  Enums.Kind kind();

  /** Fields a create must set, by wire name, that this patch leaves unset. */
  List<String> missingForCreate();

  /** The record after this patch, stamped with the new tree version. */
  Child applyTo(Child base, long version, Instant now);

  /** The kind's defaults, the base a create applies its patch onto. */
  static Child defaults(Enums.Kind kind, String id, String poolId, long version, Instant now) {
    return switch (kind) {
      case LISTENER -> Listener.defaults(id, version, now);
      case POOL -> Pool.defaults(id, version, now);
      case BACKEND -> Backend.defaults(id, poolId, version, now);
      case HEALTH_CHECK -> HealthCheck.defaults(id, version, now);
    };
  }

  /** A patch that sets nothing: applying it only restamps version and updatedAt. */
  static ChildPatch empty(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> new ListenerPatch(null, null, null, null, null, null, null, null, null, null, null, null);
      case POOL -> new PoolPatch(null, null, null, null, null, null, null, null, null);
      case BACKEND -> new BackendPatch(null, null, null, null, null, null, null, null);
      case HEALTH_CHECK -> new HealthCheckPatch(null, null, null, null, null, null, null, null, null, null, null);
    };
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static List<String> missing(String kind, Object... nameValuePairs) {
    var out = new java.util.ArrayList<String>();
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      if (nameValuePairs[i + 1] == null) out.add(kind + "." + nameValuePairs[i]);
    }
    return out;
  }

  record ListenerPatch(
      String name,
      String description,
      Enums.Protocol protocol,
      Integer protocolPort,
      String defaultPoolId,
      Integer connectionLimit,
      Long timeoutClientIdleMs,
      Long timeoutBackendConnectMs,
      Long timeoutBackendIdleMs,
      List<String> allowedCidrs,
      Boolean adminStateUp,
      List<String> tags)
      implements ChildPatch {
    @Override
    public Enums.Kind kind() {
      return Enums.Kind.LISTENER;
    }

    @Override
    public List<String> missingForCreate() {
      return missing("listener", "protocol_port", protocolPort);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Listener) base;
      return new Listener(b.id(), or(name, b.name()), or(description, b.description()), or(protocol, b.protocol()),
          or(protocolPort, b.protocolPort()), or(defaultPoolId, b.defaultPoolId()),
          or(connectionLimit, b.connectionLimit()), or(timeoutClientIdleMs, b.timeoutClientIdleMs()),
          or(timeoutBackendConnectMs, b.timeoutBackendConnectMs()), or(timeoutBackendIdleMs, b.timeoutBackendIdleMs()),
          or(allowedCidrs, b.allowedCidrs()), or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version,
          b.createdVersion(), b.createdAt(), now);
    }
  }

  record PoolPatch(
      String name,
      String description,
      Enums.Protocol protocol,
      Enums.LbAlgorithm lbAlgorithm,
      Enums.SessionPersistenceType sessionPersistence,
      Long sessionPersistenceTimeoutMs,
      String healthCheckId,
      Boolean adminStateUp,
      List<String> tags)
      implements ChildPatch {
    @Override
    public Enums.Kind kind() {
      return Enums.Kind.POOL;
    }

    @Override
    public List<String> missingForCreate() {
      return List.of();
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Pool) base;
      return new Pool(b.id(), or(name, b.name()), or(description, b.description()), or(protocol, b.protocol()),
          or(lbAlgorithm, b.lbAlgorithm()), or(sessionPersistence, b.sessionPersistence()),
          or(sessionPersistenceTimeoutMs, b.sessionPersistenceTimeoutMs()), or(healthCheckId, b.healthCheckId()),
          or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version, b.createdVersion(), b.createdAt(), now);
    }
  }

  record BackendPatch(
      String name,
      String address,
      Integer protocolPort,
      Integer weight,
      Boolean adminStateUp,
      Boolean backup,
      Integer monitorPort,
      List<String> tags)
      implements ChildPatch {
    @Override
    public Enums.Kind kind() {
      return Enums.Kind.BACKEND;
    }

    @Override
    public List<String> missingForCreate() {
      return missing("backend", "address", address, "protocol_port", protocolPort);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Backend) base;
      return new Backend(b.id(), b.poolId(), or(name, b.name()), or(address, b.address()),
          or(protocolPort, b.protocolPort()), or(weight, b.weight()), or(adminStateUp, b.adminStateUp()),
          or(backup, b.backup()), or(monitorPort, b.monitorPort()), or(tags, b.tags()), version, b.createdVersion(),
          b.createdAt(), now);
    }
  }

  record HealthCheckPatch(
      String name,
      Enums.HealthCheckType type,
      Long intervalMs,
      Long timeoutMs,
      Integer rise,
      Integer fall,
      String httpMethod,
      String urlPath,
      String expectedCodes,
      Boolean adminStateUp,
      List<String> tags)
      implements ChildPatch {
    @Override
    public Enums.Kind kind() {
      return Enums.Kind.HEALTH_CHECK;
    }

    @Override
    public List<String> missingForCreate() {
      return missing("health_check", "type", type);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (HealthCheck) base;
      return new HealthCheck(b.id(), or(name, b.name()), or(type, b.type()), or(intervalMs, b.intervalMs()),
          or(timeoutMs, b.timeoutMs()), or(rise, b.rise()), or(fall, b.fall()), or(httpMethod, b.httpMethod()),
          or(urlPath, b.urlPath()), or(expectedCodes, b.expectedCodes()), or(adminStateUp, b.adminStateUp()),
          or(tags, b.tags()), version, b.createdVersion(), b.createdAt(), now);
    }
  }
}
