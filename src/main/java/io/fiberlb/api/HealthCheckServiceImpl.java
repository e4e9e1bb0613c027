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

/** HealthCheckService, and the API's side of the health check kind: its wire mapping. */
public final class HealthCheckServiceImpl implements HealthCheckServicePowerApi {
  private final ChildCalls<HealthCheck> calls;

  public HealthCheckServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.HEALTH_CHECK, HealthCheckServiceImpl::toWire);
  }

  @Override
  public CompletionStage<HealthCheck> createHealthCheck(CreateHealthCheckRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> patch(in.getHealthCheck()), in.getRequestId());
  }

  @Override
  public CompletionStage<HealthCheck> getHealthCheck(GetHealthCheckRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListHealthChecksResponse> listHealthChecks(ListHealthChecksRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), "", in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListHealthChecksResponse.newBuilder().addAllHealthChecks(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<HealthCheck> updateHealthCheck(UpdateHealthCheckRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> patch(in.getHealthCheck()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteHealthCheck(DeleteHealthCheckRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  // ------------------------------------------------------------------ wire <-> domain

  public static io.fiberlb.controlplane.model.HealthCheck.Patch patch(HealthCheckSpec s) {
    return new io.fiberlb.controlplane.model.HealthCheck.Patch(s.hasName() ? s.getName() : null,
        s.hasType() ? ProtoMapper.known(s.getType(), Enums.HealthCheckType.class, "health_check.type") : null,
        s.hasInterval() ? millis(s.getInterval(), "health_check.interval") : null,
        s.hasTimeout() ? millis(s.getTimeout(), "health_check.timeout") : null, s.hasRise() ? s.getRise() : null,
        s.hasFall() ? s.getFall() : null, s.hasHttpMethod() ? s.getHttpMethod() : null,
        s.hasUrlPath() ? s.getUrlPath() : null, s.hasExpectedCodes() ? s.getExpectedCodes() : null,
        s.hasAdminStateUp() ? s.getAdminStateUp() : null, list(s.getTagsList(), s.getTagsSet()),
        s.hasDomainName() ? s.getDomainName() : null, s.hasHttpVersion() ? s.getHttpVersion() : null);
  }

  public static HealthCheck toWire(String lbId, ChildView v) {
    var h = (io.fiberlb.controlplane.model.HealthCheck) v.child();
    return io.fiberlb.api.v1.HealthCheck.newBuilder().setId(h.id()).setLoadBalancerId(lbId).setName(h.name())
        .setType(io.fiberlb.api.v1.HealthCheck.Type.valueOf(h.type().name())).setInterval(duration(h.intervalMs()))
        .setTimeout(duration(h.timeoutMs())).setRise(h.rise()).setFall(h.fall()).setHttpMethod(h.httpMethod())
        .setUrlPath(h.urlPath()).setExpectedCodes(h.expectedCodes()).setAdminStateUp(h.adminStateUp())
        .addAllTags(h.tags()).setProvisioningStatus(provisioning(v.provisioning()))
        .setOperatingStatus(operating(v.operating())).setOperatingStatusReason(v.reason()).setVersion(h.version()).setCreatedAt(ts(h.createdAt()))
        .setUpdatedAt(ts(h.updatedAt())).setDomainName(h.domainName()).setHttpVersion(h.httpVersion()).build();
  }
}
