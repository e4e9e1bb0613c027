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

/** L7RuleService, and the API's side of the L7 rule kind: its wire mapping. */
public final class L7RuleServiceImpl implements L7RuleServicePowerApi {
  private final ChildCalls<L7Rule> calls;

  public L7RuleServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.L7_RULE, L7RuleServiceImpl::toWire);
  }

  @Override
  public CompletionStage<L7Rule> createL7Rule(CreateL7RuleRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), in.getL7PolicyId(), () -> patch(in.getL7Rule()), in.getRequestId());
  }

  @Override
  public CompletionStage<L7Rule> getL7Rule(GetL7RuleRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListL7RulesResponse> listL7Rules(ListL7RulesRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), in.getL7PolicyId(), in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListL7RulesResponse.newBuilder().addAllL7Rules(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<L7Rule> updateL7Rule(UpdateL7RuleRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getL7Rule()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteL7Rule(DeleteL7RuleRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  public static io.fiberlb.controlplane.model.L7Rule.Patch patch(L7RuleSpec s) {
    return new io.fiberlb.controlplane.model.L7Rule.Patch(
        s.hasType() ? ProtoMapper.known(s.getType(), Enums.L7RuleType.class, "l7rule.type") : null,
        s.hasCompareType() ? ProtoMapper.known(s.getCompareType(), Enums.L7CompareType.class, "l7rule.compare_type")
            : null,
        s.hasKey() ? s.getKey() : null, s.hasValue() ? s.getValue() : null, s.hasInvert() ? s.getInvert() : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, list(s.getTagsList(), s.getTagsSet()));
  }

  public static L7Rule toWire(String lbId, ChildView v) {
    var r = (io.fiberlb.controlplane.model.L7Rule) v.child();
    return L7Rule.newBuilder().setId(r.id()).setLoadBalancerId(lbId).setL7PolicyId(r.policyId())
        .setType(L7Rule.Type.valueOf(r.type().name())).setCompareType(L7Rule.CompareType.valueOf(r.compareType().name()))
        .setKey(r.key()).setValue(r.value()).setInvert(r.invert()).setAdminStateUp(r.adminStateUp()).addAllTags(r.tags())
        .setProvisioningStatus(provisioning(v.provisioning())).setOperatingStatus(operating(v.operating()))
        .setOperatingStatusReason(v.reason()).setVersion(r.version()).setCreatedAt(ts(r.createdAt()))
        .setUpdatedAt(ts(r.updatedAt())).build();
  }
}
