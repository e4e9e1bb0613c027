package io.fiberlb.api;

import io.fiberlb.api.v1.*;
import io.fiberlb.controlplane.model.Enums.Kind;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/** ListenerService: wire messages to the shared child-resource calls. */
public final class ListenerServiceImpl implements ListenerServicePowerApi {
  private final ChildCalls<Listener> calls;

  public ListenerServiceImpl(ControlPlaneGateway gw) {
    this.calls = new ChildCalls<>(gw, Kind.LISTENER, ProtoMapper::listener);
  }

  @Override
  public CompletionStage<Listener> createListener(CreateListenerRequest in, Metadata md) {
    return calls.create(in, md, in.getLoadBalancerId(), null, () -> ProtoMapper.patch(in.getListener()), in.getRequestId());
  }

  @Override
  public CompletionStage<Listener> getListener(GetListenerRequest in, Metadata md) {
    return calls.get(in, md, in.getLoadBalancerId(), in.getId());
  }

  @Override
  public CompletionStage<ListListenersResponse> listListeners(ListListenersRequest in, Metadata md) {
    return calls.list(in, md, in.getLoadBalancerId(), "", in.getPageSize(), in.getPageToken())
        .thenApply(p -> ListListenersResponse.newBuilder().addAllListeners(p.items()).setNextPageToken(p.nextPageToken()).build());
  }

  @Override
  public CompletionStage<Listener> updateListener(UpdateListenerRequest in, Metadata md) {
    return calls.update(in, md, in.getLoadBalancerId(), in.getId(), () -> ProtoMapper.patch(in.getListener()),
        in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }

  @Override
  public CompletionStage<DeleteResponse> deleteListener(DeleteListenerRequest in, Metadata md) {
    return calls.delete(in, md, in.getLoadBalancerId(), in.getId(), in.hasExpectedVersion() ? in.getExpectedVersion() : null);
  }
}
