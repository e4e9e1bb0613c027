package io.fiberlb.api;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** HealthCheckService: wire messages to the shared child-resource calls. */
public final class HealthCheckServiceImpl implements HealthCheckServicePowerApi {
  private final ChildCalls<HealthCheck> calls;

  public HealthCheckServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.HEALTH_CHECK, ProtoMapper::healthCheck);
  }

  @Override
  public CompletionStage<HealthCheck> createHealthCheck(CreateHealthCheckRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> ProtoMapper.patch(in.getHealthCheck()), in.getRequestId());
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
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> ProtoMapper.patch(in.getHealthCheck()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteHealthCheck(DeleteHealthCheckRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }
}
