package io.fiberlb.api;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.fiberlb.api.v1.BackendShare;
import io.fiberlb.api.v1.DryRun;
import io.fiberlb.api.v1.FlowMove;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.OpenConnections;
import io.fiberlb.api.v1.PoolDisruption;
import io.fiberlb.controlplane.LoadBalancerProtocol.DryRunReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.disruption.Disruption;
import java.util.function.Function;

/** A write's dry run in the API's messages: the versions, the field-level diff and the disruption estimate. */
public final class DryRunAnswers {
  private DryRunAnswers() {}

  /** Whether a request asks for a dry run: its {@code validate_only} field, which every write request has. */
  public static boolean asked(Message request) {
    FieldDescriptor f = request.getDescriptorForType().findFieldByName("validate_only");
    return f != null && (Boolean) request.getField(f);
  }

  /**
   * The answer of a write: {@code toWire} of the entity's reply, which for a dry run is the reply the real write
   * would give, with the answer's {@code dry_run} field set.
   */
  @SuppressWarnings("unchecked")
  public static <M extends Message> M answer(Reply reply, Function<Reply, M> toWire) {
    if (!(reply instanceof DryRunReply d)) return toWire.apply(reply);
    M wire = toWire.apply(d.reply());
    return (M) wire.toBuilder().setField(wire.getDescriptorForType().findFieldByName("dry_run"), of(d)).build();
  }

  public static DryRun of(DryRunReply r) {
    LoadBalancerSnapshot before = Snapshots.of(r.before(), 0);
    LoadBalancerSnapshot after = Snapshots.of(r.after(), 0);
    return DryRun.newBuilder()
        .setFromVersion(r.before().lb() == null ? 0 : r.before().lb().version())
        .setToVersion(r.after().lb() == null ? 0 : r.after().lb().version())
        .addAllChanges(Snapshots.diff(before, after))
        .setDisruption(disruption(r.disruption()))
        .build();
  }

  public static io.fiberlb.api.v1.Disruption disruption(Disruption d) {
    var out = io.fiberlb.api.v1.Disruption.newBuilder().setLiveCounts(d.liveCounts());
    for (Disruption.PoolShift p : d.pools()) {
      var pool = PoolDisruption.newBuilder().setPoolId(p.poolId()).setLbAlgorithmBefore(p.algorithmBefore())
          .setLbAlgorithmAfter(p.algorithmAfter()).setBasis(PoolDisruption.Basis.valueOf(p.basis().name()))
          .setMoved(p.moved()).setSampledFlows(p.sampledFlows()).setUnlisted(p.unlisted());
      for (Disruption.Move m : p.moves()) {
        pool.addMoves(FlowMove.newBuilder().setFromBackendId(m.fromBackendId()).setFromEndpoint(m.fromEndpoint())
            .setToBackendId(m.toBackendId()).setToEndpoint(m.toEndpoint()).setFraction(m.fraction()));
      }
      for (Disruption.Share s : p.shares()) {
        pool.addShares(BackendShare.newBuilder().setBackendId(s.backendId()).setEndpoint(s.endpoint())
            .setBefore(s.before()).setAfter(s.after()));
      }
      out.addPools(pool);
    }
    for (Disruption.OpenConnections c : d.connections()) {
      out.addConnections(OpenConnections.newBuilder().setResourceKind(c.kind()).setResourceId(c.id())
          .setFate(OpenConnections.Fate.valueOf(c.fate().name())).setCount(c.count()).setReason(c.why()));
    }
    return out.build();
  }
}
