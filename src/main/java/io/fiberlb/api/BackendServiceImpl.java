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

/** BackendService, and the API's side of the backend kind: its wire mapping. */
public final class BackendServiceImpl implements BackendServicePowerApi {
  private final ChildCalls<Backend> calls;

  public BackendServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.BACKEND, BackendServiceImpl::toWire);
  }

  @Override
  public CompletionStage<Backend> createBackend(CreateBackendRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), in.getPoolId(), () -> patch(in.getBackend()), in.getRequestId());
  }

  @Override
  public CompletionStage<Backend> getBackend(GetBackendRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListBackendsResponse> listBackends(ListBackendsRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), in.getPoolId(), in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListBackendsResponse.newBuilder().addAllBackends(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<Backend> updateBackend(UpdateBackendRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getBackend()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteBackend(DeleteBackendRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  public static io.fiberlb.controlplane.model.Backend.Patch patch(BackendSpec s) {
    return new io.fiberlb.controlplane.model.Backend.Patch(s.hasName() ? s.getName() : null, s.hasAddress() ? s.getAddress() : null,
        s.hasProtocolPort() ? s.getProtocolPort() : null, s.hasWeight() ? s.getWeight() : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, s.hasBackup() ? s.getBackup() : null,
        s.hasMonitorPort() ? s.getMonitorPort() : null, list(s.getTagsList(), s.getTagsSet()));
  }

  public static Backend toWire(String lbId, ChildView v) {
    var b = (io.fiberlb.controlplane.model.Backend) v.child();
    return io.fiberlb.api.v1.Backend.newBuilder().setId(b.id()).setLoadBalancerId(lbId).setPoolId(b.poolId())
        .setName(b.name()).setAddress(b.address()).setProtocolPort(b.protocolPort()).setWeight(b.weight())
        .setAdminStateUp(b.adminStateUp()).setBackup(b.backup()).setMonitorPort(b.monitorPort())
        .addAllTags(b.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason()).setVersion(b.version()).setCreatedAt(ts(b.createdAt()))
        .setUpdatedAt(ts(b.updatedAt())).build();
  }
}
