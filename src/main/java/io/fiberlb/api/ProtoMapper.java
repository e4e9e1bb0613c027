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





  /** A repeated field replaces the list when it has entries, or when its *_set flag says "even if empty". */
  static List<String> list(List<String> values, boolean set) {
    return set || !values.isEmpty() ? List.copyOf(values) : null;
  }

  static long millis(Duration d, String field) {
    return WireTime.millis(d, field);
  }

  /** A reference to another resource: empty clears it, anything else must be a well-formed id. */
  static String ref(String value, String field) {
    return value.isEmpty() ? "" : ControlPlaneGateway.id(field, value);
  }

  static Enums.Protocol protocol(Protocol p, String field) {
    if (p == Protocol.PROTOCOL_UNSPECIFIED || p == Protocol.UNRECOGNIZED) {
      throw Errors.invalid(field + ": must be one of TCP, UDP, HTTP, TERMINATED_HTTPS, PROXY, PROXYV2, got " + p);
    }
    return Enums.Protocol.valueOf(p.name());
  }

  static Enums.LbAlgorithm algorithm(LbAlgorithm a) {
    if (a == LbAlgorithm.LB_ALGORITHM_UNSPECIFIED || a == LbAlgorithm.UNRECOGNIZED) {
      throw Errors.invalid("pool.lb_algorithm: must be one of " + Arrays.stream(Enums.LbAlgorithm.values())
          .map(Enum::name).collect(Collectors.joining(", ")) + ", got " + a);
    }
    return Enums.LbAlgorithm.valueOf(a.name());
  }

  /** An enum value of the wire that must be set and known, as the domain's value of the same name. */
  static <E extends Enum<E>> E known(com.google.protobuf.ProtocolMessageEnum wire, Class<E> domain, String field) {
    String names = java.util.Arrays.stream(domain.getEnumConstants()).map(Enum::name)
        .collect(Collectors.joining(", "));
    if (wire.getNumber() == 0 || !(wire instanceof Enum<?> e) || e.name().equals("UNRECOGNIZED")) {
      throw Errors.invalid(field + ": must be one of " + names + ", got " + wire);
    }
    try {
      return Enum.valueOf(domain, ((Enum<?>) wire).name());
    } catch (IllegalArgumentException unknown) {
      throw Errors.invalid(field + ": must be one of " + names + ", got " + wire);
    }
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
