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

/** L7PolicyService, and the API's side of the L7 policy kind: its wire mapping. */
public final class L7PolicyServiceImpl implements L7PolicyServicePowerApi {
  private final ChildCalls<L7Policy> calls;

  public L7PolicyServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.L7_POLICY, L7PolicyServiceImpl::toWire);
  }

  @Override
  public CompletionStage<L7Policy> createL7Policy(CreateL7PolicyRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), in.getListenerId(), () -> patch(in.getL7Policy()), in.getRequestId());
  }

  @Override
  public CompletionStage<L7Policy> getL7Policy(GetL7PolicyRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListL7PoliciesResponse> listL7Policies(ListL7PoliciesRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), in.getListenerId(), in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListL7PoliciesResponse.newBuilder().addAllL7Policies(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<L7Policy> updateL7Policy(UpdateL7PolicyRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getL7Policy()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteL7Policy(DeleteL7PolicyRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  public static io.fiberlb.controlplane.model.L7Policy.Patch patch(L7PolicySpec s) {
    return new io.fiberlb.controlplane.model.L7Policy.Patch(s.hasName() ? s.getName() : null,
        s.hasDescription() ? s.getDescription() : null,
        s.hasAction() ? ProtoMapper.known(s.getAction(), Enums.L7Action.class, "l7policy.action") : null,
        s.hasPosition() ? s.getPosition() : null, s.hasRedirectUrl() ? s.getRedirectUrl() : null,
        s.hasRedirectPrefix() ? s.getRedirectPrefix() : null,
        s.hasRedirectPoolId() ? ref(s.getRedirectPoolId(), "l7policy.redirect_pool_id") : null,
        s.hasRedirectHttpCode() ? s.getRedirectHttpCode() : null, s.hasAdminStateUp() ? s.getAdminStateUp() : null,
        list(s.getTagsList(), s.getTagsSet()));
  }

  public static L7Policy toWire(String lbId, ChildView v) {
    var p = (io.fiberlb.controlplane.model.L7Policy) v.child();
    return L7Policy.newBuilder().setId(p.id()).setLoadBalancerId(lbId).setListenerId(p.listenerId())
        .setName(p.name()).setDescription(p.description()).setAction(L7Policy.Action.valueOf(p.action().name()))
        .setPosition(p.position()).setRedirectUrl(p.redirectUrl()).setRedirectPrefix(p.redirectPrefix())
        .setRedirectPoolId(p.redirectPoolId()).setRedirectHttpCode(p.redirectHttpCode())
        .setAdminStateUp(p.adminStateUp()).addAllTags(p.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason()).setVersion(p.version())
        .setCreatedAt(ts(p.createdAt())).setUpdatedAt(ts(p.updatedAt())).build();
  }
}
