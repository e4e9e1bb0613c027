package io.fiberlb.api;

import static io.fiberlb.api.ControlPlaneGateway.guard;
import static io.fiberlb.api.ControlPlaneGateway.id;

import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerProtocol.ChildReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.ChildrenReply;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Rejection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import com.google.protobuf.Message;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * Create/get/list/update/delete of one kind of child resource: the child services differ only in their wire
 * messages (each service's file maps them: it is the API's description of its kind), so they share this.
 *
 * @param <P> the wire message of the kind
 */
final class ChildCalls<P> {
  /** One page of a list, already in wire form. */
  record Page<P>(List<P> items, String nextPageToken) {}

  private final ControlPlaneGateway gw;
  private final Kind kind;
  private final BiFunction<String, ChildView, P> toWire;

  ChildCalls(ControlPlaneGateway gw, Kind kind, BiFunction<String, ChildView, P> toWire) {
    this.gw = gw;
    this.kind = kind;
    this.toWire = toWire;
  }

  /**
   * What must hold of a patch before it is sent to the entity, that the entity cannot check itself (certificate
   * ids, which another store keeps): empty when it holds, else why not.
   */
  interface Precheck {
    CompletionStage<Optional<Rejection>> check(Caller caller, ChildPatch patch);

    Precheck NONE = (caller, patch) -> CompletableFuture.completedFuture(Optional.empty());
  }

  /** @param parentId the parent ({@link Kind#parent}: a backend's pool, a policy's listener...), else null */
  CompletionStage<P> create(Message in, Metadata md, String lbId, String parentId, Supplier<ChildPatch> patch,
      String requestId) {
    return create(in, md, lbId, parentId, patch, requestId, Precheck.NONE);
  }

  CompletionStage<P> create(Message in, Metadata md, String lbId, String parentId, Supplier<ChildPatch> patch,
      String requestId, Precheck precheck) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, requestId);
      String lb = id("load_balancer_id", lbId);
      String parent = parentId == null ? "" : id(kind.parentField, parentId);
      ChildPatch p = patch.get();
      boolean dryRun = DryRunAnswers.asked(in);
      return checked(precheck, caller, p, () -> gw.ask(lb, r -> new LoadBalancerEntity.CreateChild(caller, parent, p,
          requestId, r, ControlPlaneGateway.requestHash(in), dryRun), reply -> written(lb, reply)));
    });
  }

  private static <T> CompletionStage<T> checked(Precheck precheck, Caller caller, ChildPatch p,
      Supplier<CompletionStage<T>> then) {
    return precheck.check(caller, p).thenCompose(refused -> refused.isPresent()
        ? CompletableFuture.<T>failedFuture(Errors.toStatus(refused.get())) : then.get());
  }

  CompletionStage<P> get(Message in, Metadata md, String lbId, String id) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lb = id("load_balancer_id", lbId);
      String child = id("id", id);
      return gw.ask(lb, r -> new LoadBalancerEntity.GetChild(caller, kind, child, r), reply -> one(lb, reply));
    });
  }

  /** @param parentId filter to one parent (backends of a pool...), empty for all */
  CompletionStage<Page<P>> list(Message in, Metadata md, String lbId, String parentId, int pageSize, String pageToken) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lb = id("load_balancer_id", lbId);
      String pool = parentId.isEmpty() ? "" : id(kind.parentField, parentId);
      int size = ControlPlaneGateway.pageSize(pageSize);
      String scope = ControlPlaneGateway.listScope(caller, kind.name(), lb + "/" + pool);
      long after = ControlPlaneGateway.decodeToken(pageToken, scope);
      return gw.ask(lb, r -> new LoadBalancerEntity.ListChildren(caller, kind, pool, after, size, r), reply -> {
        var page = (ChildrenReply) reply;
        return new Page<>(page.items().stream().map(v -> toWire.apply(lb, v)).toList(),
            ControlPlaneGateway.encodeToken(page.next(), scope));
      });
    });
  }

  CompletionStage<P> update(Message in, Metadata md, String lbId, String id, Supplier<ChildPatch> patch, Long expectedVersion) {
    return update(in, md, lbId, id, patch, expectedVersion, Precheck.NONE);
  }

  CompletionStage<P> update(Message in, Metadata md, String lbId, String id, Supplier<ChildPatch> patch,
      Long expectedVersion, Precheck precheck) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lb = id("load_balancer_id", lbId);
      String child = id("id", id);
      ChildPatch p = patch.get();
      boolean dryRun = DryRunAnswers.asked(in);
      return checked(precheck, caller, p, () -> gw.ask(lb, r -> new LoadBalancerEntity.UpdateChild(caller, kind,
          child, p, expectedVersion, r, dryRun), reply -> written(lb, reply)));
    });
  }

  CompletionStage<DeleteResponse> delete(Message in, Metadata md, String lbId, String id, Long expectedVersion) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lb = id("load_balancer_id", lbId);
      String child = id("id", id);
      boolean dryRun = DryRunAnswers.asked(in);
      return gw.ask(lb, r -> new LoadBalancerEntity.DeleteChild(caller, kind, child, expectedVersion, r, dryRun),
          reply -> DryRunAnswers.answer(reply, ChildCalls::deleted));
    });
  }

  private P one(String lbId, LoadBalancerEntity.Reply reply) {
    return toWire.apply(lbId, ((ChildReply) reply).child());
  }

  /** The answer of a create or update: the child, with what a dry run would do when it was one. */
  @SuppressWarnings("unchecked")
  private P written(String lbId, LoadBalancerEntity.Reply reply) {
    return (P) DryRunAnswers.answer(reply, r -> (Message) one(lbId, r));
  }

  static DeleteResponse deleted(LoadBalancerEntity.Reply reply) {
    return DeleteResponse.newBuilder().setVersion(((LoadBalancerEntity.DeletedReply) reply).version()).build();
  }
}
