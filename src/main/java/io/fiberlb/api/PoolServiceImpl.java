package io.fiberlb.api;

import static io.fiberlb.api.ProtoMapper.duration;
import static io.fiberlb.api.ProtoMapper.list;
import static io.fiberlb.api.ProtoMapper.millis;
import static io.fiberlb.api.ProtoMapper.operating;
import static io.fiberlb.api.ProtoMapper.provisioning;
import static io.fiberlb.api.ProtoMapper.ref;
import static io.fiberlb.api.ProtoMapper.ts;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** PoolService, and the API's side of the pool kind: its wire mapping. */
public final class PoolServiceImpl implements PoolServicePowerApi {
  private final ChildCalls<Pool> calls;

  public PoolServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.POOL, PoolServiceImpl::toWire);
  }

  @Override
  public CompletionStage<Pool> createPool(CreatePoolRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> patch(in.getPool()), in.getRequestId());
  }

  @Override
  public CompletionStage<Pool> getPool(GetPoolRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListPoolsResponse> listPools(ListPoolsRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), "", in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListPoolsResponse.newBuilder().addAllPools(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<Pool> updatePool(UpdatePoolRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getPool()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deletePool(DeletePoolRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  public static io.fiberlb.controlplane.model.Pool.Patch patch(PoolSpec s) {
    Enums.SessionPersistenceType sp = null;
    Long spTimeout = null;
    String cookie = null;
    if (s.hasSessionPersistence()) {
      SessionPersistence p = s.getSessionPersistence();
      sp = ProtoMapper.known(p.getType(), Enums.SessionPersistenceType.class, "pool.session_persistence.type");
      if (p.hasTimeout()) spTimeout = millis(p.getTimeout(), "pool.session_persistence.timeout");
      cookie = p.getCookieName();
    }
    return new io.fiberlb.controlplane.model.Pool.Patch(s.hasName() ? s.getName() : null,
        s.hasDescription() ? s.getDescription() : null,
        s.hasProtocol() ? ProtoMapper.protocol(s.getProtocol(), "pool.protocol") : null,
        s.hasLbAlgorithm() ? ProtoMapper.algorithm(s.getLbAlgorithm()) : null, sp, spTimeout,
        s.hasHealthCheckId() ? ref(s.getHealthCheckId(), "pool.health_check_id") : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, list(s.getTagsList(), s.getTagsSet()), cookie);
  }

  public static Pool toWire(String lbId, ChildView v) {
    var p = (io.fiberlb.controlplane.model.Pool) v.child();
    var sp = SessionPersistence.newBuilder()
        .setType(SessionPersistence.Type.valueOf(p.sessionPersistence().name()))
        .setTimeout(duration(p.sessionPersistenceTimeoutMs())).setCookieName(p.cookieName());
    return Pool.newBuilder().setId(p.id()).setLoadBalancerId(lbId).setName(p.name())
        .setDescription(p.description()).setProtocol(Protocol.valueOf(p.protocol().name()))
        .setLbAlgorithm(LbAlgorithm.valueOf(p.lbAlgorithm().name())).setSessionPersistence(sp)
        .setHealthCheckId(p.healthCheckId()).setAdminStateUp(p.adminStateUp()).addAllTags(p.tags())
        .setProvisioningStatus(provisioning(v.provisioning())).setOperatingStatus(operating(v.operating()))
        .setOperatingStatusReason(v.reason()).setVersion(p.version()).setCreatedAt(ts(p.createdAt()))
        .setUpdatedAt(ts(p.updatedAt())).build();
  }
}
