package io.fiberlb.api;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** PoolService: wire messages to the shared child-resource calls. */
public final class PoolServiceImpl implements PoolServicePowerApi {
  private final ChildCalls<Pool> calls;

  public PoolServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.POOL, ProtoMapper::pool);
  }

  @Override
  public CompletionStage<Pool> createPool(CreatePoolRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> ProtoMapper.patch(in.getPool()), in.getRequestId());
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
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> ProtoMapper.patch(in.getPool()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deletePool(DeletePoolRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }
}
