package io.fiberlb.api;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** BackendService: wire messages to the shared child-resource calls. */
public final class BackendServiceImpl implements BackendServicePowerApi {
  private final ChildCalls<Backend> calls;

  public BackendServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.BACKEND, ProtoMapper::backend);
  }

  @Override
  public CompletionStage<Backend> createBackend(CreateBackendRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), in.getPoolId(), () -> ProtoMapper.patch(in.getBackend()), in.getRequestId());
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
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> ProtoMapper.patch(in.getBackend()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteBackend(DeleteBackendRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }
}
