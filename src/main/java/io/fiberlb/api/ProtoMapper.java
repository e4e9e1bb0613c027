package io.fiberlb.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.Provisioning;
import io.fiberlb.api.v1.SessionPersistence;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.LoadBalancerView;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Pool;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Wire messages to domain patches and domain views to wire messages. Only the wire's shape is checked here
 * (an enum value that is unset or unknown, a malformed duration); every rule about values is the entity's.
 */
public final class ProtoMapper {
  private ProtoMapper() {}

  // ------------------------------------------------------------------ wire -> domain

  public static LoadBalancerPatch patch(LoadBalancerSpec s) {
    return new LoadBalancerPatch(s.hasName() ? s.getName() : null, s.hasDescription() ? s.getDescription() : null,
        s.hasVipAddress() ? s.getVipAddress() : null, s.hasAdminStateUp() ? s.getAdminStateUp() : null,
        list(s.getTagsList(), s.getTagsSet()));
  }

  public static io.fiberlb.controlplane.model.Listener.Patch patch(ListenerSpec s) {
    return new io.fiberlb.controlplane.model.Listener.Patch(s.hasName() ? s.getName() : null,
        s.hasDescription() ? s.getDescription() : null,
        s.hasProtocol() ? protocol(s.getProtocol(), "listener.protocol") : null,
        s.hasProtocolPort() ? s.getProtocolPort() : null, s.hasDefaultPoolId() ? ref(s.getDefaultPoolId(), "listener.default_pool_id") : null,
        s.hasConnectionLimit() ? s.getConnectionLimit() : null,
        s.hasTimeoutClientIdle() ? millis(s.getTimeoutClientIdle(), "listener.timeout_client_idle") : null,
        s.hasTimeoutBackendConnect() ? millis(s.getTimeoutBackendConnect(), "listener.timeout_backend_connect") : null,
        s.hasTimeoutBackendIdle() ? millis(s.getTimeoutBackendIdle(), "listener.timeout_backend_idle") : null,
        list(s.getAllowedCidrsList(), s.getAllowedCidrsSet()), s.hasAdminStateUp() ? s.getAdminStateUp() : null,
        list(s.getTagsList(), s.getTagsSet()));
  }

  public static io.fiberlb.controlplane.model.Pool.Patch patch(PoolSpec s) {
    Enums.SessionPersistenceType sp = null;
    Long spTimeout = null;
    if (s.hasSessionPersistence()) {
      SessionPersistence p = s.getSessionPersistence();
      sp = switch (p.getType()) {
        case NONE -> Enums.SessionPersistenceType.NONE;
        case SOURCE_IP -> Enums.SessionPersistenceType.SOURCE_IP;
        default -> throw Errors.invalid("pool.session_persistence.type: must be one of NONE, SOURCE_IP, got " + p.getType());
      };
      if (p.hasTimeout()) spTimeout = millis(p.getTimeout(), "pool.session_persistence.timeout");
    }
    return new io.fiberlb.controlplane.model.Pool.Patch(s.hasName() ? s.getName() : null, s.hasDescription() ? s.getDescription() : null,
        s.hasProtocol() ? protocol(s.getProtocol(), "pool.protocol") : null,
        s.hasLbAlgorithm() ? algorithm(s.getLbAlgorithm()) : null, sp, spTimeout,
        s.hasHealthCheckId() ? ref(s.getHealthCheckId(), "pool.health_check_id") : null, s.hasAdminStateUp() ? s.getAdminStateUp() : null,
        list(s.getTagsList(), s.getTagsSet()));
  }

  public static io.fiberlb.controlplane.model.Backend.Patch patch(BackendSpec s) {
    return new io.fiberlb.controlplane.model.Backend.Patch(s.hasName() ? s.getName() : null, s.hasAddress() ? s.getAddress() : null,
        s.hasProtocolPort() ? s.getProtocolPort() : null, s.hasWeight() ? s.getWeight() : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, s.hasBackup() ? s.getBackup() : null,
        s.hasMonitorPort() ? s.getMonitorPort() : null, list(s.getTagsList(), s.getTagsSet()));
  }

  public static io.fiberlb.controlplane.model.HealthCheck.Patch patch(HealthCheckSpec s) {
    Enums.HealthCheckType type = null;
    if (s.hasType()) {
      type = switch (s.getType()) {
        case TCP -> Enums.HealthCheckType.TCP;
        case HTTP -> Enums.HealthCheckType.HTTP;
        case UDP_CONNECT -> Enums.HealthCheckType.UDP_CONNECT;
        default -> throw Errors.invalid("health_check.type: must be one of TCP, HTTP, UDP_CONNECT, got " + s.getType());
      };
    }
    return new io.fiberlb.controlplane.model.HealthCheck.Patch(s.hasName() ? s.getName() : null, type,
        s.hasInterval() ? millis(s.getInterval(), "health_check.interval") : null,
        s.hasTimeout() ? millis(s.getTimeout(), "health_check.timeout") : null, s.hasRise() ? s.getRise() : null,
        s.hasFall() ? s.getFall() : null, s.hasHttpMethod() ? s.getHttpMethod() : null,
        s.hasUrlPath() ? s.getUrlPath() : null, s.hasExpectedCodes() ? s.getExpectedCodes() : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, list(s.getTagsList(), s.getTagsSet()));
  }

  /** A repeated field replaces the list when it has entries, or when its *_set flag says "even if empty". */
  private static List<String> list(List<String> values, boolean set) {
    return set || !values.isEmpty() ? List.copyOf(values) : null;
  }

  private static long millis(Duration d, String field) {
    return WireTime.millis(d, field);
  }

  /** A reference to another resource: empty clears it, anything else must be a well-formed id. */
  private static String ref(String value, String field) {
    return value.isEmpty() ? "" : ControlPlaneGateway.id(field, value);
  }

  private static Enums.Protocol protocol(Protocol p, String field) {
    if (p == Protocol.PROTOCOL_UNSPECIFIED || p == Protocol.UNRECOGNIZED) {
      throw Errors.invalid(field + ": must be one of TCP, UDP, HTTP, TERMINATED_HTTPS, got " + p);
    }
    return Enums.Protocol.valueOf(p.name());
  }

  private static Enums.LbAlgorithm algorithm(LbAlgorithm a) {
    if (a == LbAlgorithm.LB_ALGORITHM_UNSPECIFIED || a == LbAlgorithm.UNRECOGNIZED) {
      throw Errors.invalid("pool.lb_algorithm: must be one of " + Arrays.stream(Enums.LbAlgorithm.values())
          .map(Enum::name).collect(Collectors.joining(", ")) + ", got " + a);
    }
    return Enums.LbAlgorithm.valueOf(a.name());
  }

  // ------------------------------------------------------------------ domain -> wire

  public static io.fiberlb.api.v1.LoadBalancer loadBalancer(LoadBalancerView v) {
    LoadBalancerInfo i = v.info();
    return io.fiberlb.api.v1.LoadBalancer.newBuilder().setId(i.id()).setName(i.name())
        .setDescription(i.description()).setVipAddress(i.vipAddress()).setAdminStateUp(i.adminStateUp())
        .addAllTags(i.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setVersion(v.version()).setCreatedAt(ts(i.createdAt()))
        .setUpdatedAt(ts(i.updatedAt())).setOrgId(i.orgId()).setProjectId(i.projectId()).build();
  }

  public static io.fiberlb.api.v1.Listener listener(String lbId, ChildView v) {
    Listener l = (Listener) v.child();
    return io.fiberlb.api.v1.Listener.newBuilder().setId(l.id()).setLoadBalancerId(lbId).setName(l.name())
        .setDescription(l.description()).setProtocol(Protocol.valueOf(l.protocol().name()))
        .setProtocolPort(l.protocolPort()).setDefaultPoolId(l.defaultPoolId())
        .setConnectionLimit(l.connectionLimit()).setTimeoutClientIdle(duration(l.timeoutClientIdleMs()))
        .setTimeoutBackendConnect(duration(l.timeoutBackendConnectMs()))
        .setTimeoutBackendIdle(duration(l.timeoutBackendIdleMs())).addAllAllowedCidrs(l.allowedCidrs())
        .setAdminStateUp(l.adminStateUp()).addAllTags(l.tags())
        .setProvisioningStatus(provisioning(v.provisioning())).setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason())
        .setVersion(l.version()).setCreatedAt(ts(l.createdAt())).setUpdatedAt(ts(l.updatedAt())).build();
  }

  public static io.fiberlb.api.v1.Pool pool(String lbId, ChildView v) {
    Pool p = (Pool) v.child();
    var sp = SessionPersistence.newBuilder()
        .setType(p.sessionPersistence() == Enums.SessionPersistenceType.SOURCE_IP
            ? SessionPersistence.Type.SOURCE_IP : SessionPersistence.Type.NONE)
        .setTimeout(duration(p.sessionPersistenceTimeoutMs()));
    return io.fiberlb.api.v1.Pool.newBuilder().setId(p.id()).setLoadBalancerId(lbId).setName(p.name())
        .setDescription(p.description()).setProtocol(Protocol.valueOf(p.protocol().name()))
        .setLbAlgorithm(LbAlgorithm.valueOf(p.lbAlgorithm().name())).setSessionPersistence(sp)
        .setHealthCheckId(p.healthCheckId()).setAdminStateUp(p.adminStateUp()).addAllTags(p.tags())
        .setProvisioningStatus(provisioning(v.provisioning())).setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason())
        .setVersion(p.version()).setCreatedAt(ts(p.createdAt())).setUpdatedAt(ts(p.updatedAt())).build();
  }

  public static io.fiberlb.api.v1.Backend backend(String lbId, ChildView v) {
    Backend b = (Backend) v.child();
    return io.fiberlb.api.v1.Backend.newBuilder().setId(b.id()).setLoadBalancerId(lbId).setPoolId(b.poolId())
        .setName(b.name()).setAddress(b.address()).setProtocolPort(b.protocolPort()).setWeight(b.weight())
        .setAdminStateUp(b.adminStateUp()).setBackup(b.backup()).setMonitorPort(b.monitorPort())
        .addAllTags(b.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason()).setVersion(b.version()).setCreatedAt(ts(b.createdAt()))
        .setUpdatedAt(ts(b.updatedAt())).build();
  }

  public static io.fiberlb.api.v1.HealthCheck healthCheck(String lbId, ChildView v) {
    HealthCheck h = (HealthCheck) v.child();
    return io.fiberlb.api.v1.HealthCheck.newBuilder().setId(h.id()).setLoadBalancerId(lbId).setName(h.name())
        .setType(io.fiberlb.api.v1.HealthCheck.Type.valueOf(h.type().name())).setInterval(duration(h.intervalMs()))
        .setTimeout(duration(h.timeoutMs())).setRise(h.rise()).setFall(h.fall()).setHttpMethod(h.httpMethod())
        .setUrlPath(h.urlPath()).setExpectedCodes(h.expectedCodes()).setAdminStateUp(h.adminStateUp())
        .addAllTags(h.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason()).setVersion(h.version()).setCreatedAt(ts(h.createdAt()))
        .setUpdatedAt(ts(h.updatedAt())).build();
  }

  public static Provisioning.Status provisioning(Enums.ProvisioningStatus s) {
    return Provisioning.Status.valueOf(s.name());
  }

  public static Operating.Status operating(Enums.OperatingStatus s) {
    return Operating.Status.valueOf(s.name());
  }

  static Duration duration(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }
}
