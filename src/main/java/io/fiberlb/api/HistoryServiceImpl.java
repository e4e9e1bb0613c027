package io.fiberlb.api;

import static io.fiberlb.api.ControlPlaneGateway.guard;
import static io.fiberlb.api.ControlPlaneGateway.id;

import io.fiberlb.api.v1.HistoryServicePowerApi;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.RestoreLoadBalancerRequest;
import io.fiberlb.api.v1.RollbackLoadBalancerRequest;
import io.fiberlb.api.v1.RollbackLoadBalancerResponse;
import io.fiberlb.audit.History;
import io.fiberlb.audit.PastStates;
import io.fiberlb.controlplane.LoadBalancerProtocol.RollBack;
import io.fiberlb.controlplane.DesiredStates;
import io.fiberlb.controlplane.LoadBalancerProtocol.RolledBackReply;
import io.fiberlb.controlplane.disruption.Estimates;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Caller;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * HistoryService: rollback and restore. The past state comes from the journal ({@link PastStates}, the same replay
 * GetLoadBalancerAt answers from); the load balancer's entity checks it against today and writes the one event.
 */
public final class HistoryServiceImpl implements HistoryServicePowerApi {
  private final ControlPlaneGateway gw;
  private final PastStates pastStates;

  public HistoryServiceImpl(ControlPlaneGateway gw, PastStates pastStates) {
    this.gw = gw;
    this.pastStates = pastStates;
  }

  @Override
  public CompletionStage<RollbackLoadBalancerResponse> rollbackLoadBalancer(RollbackLoadBalancerRequest in,
      Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      var point = PointInTime.newBuilder();
      String field;
      if (in.hasToVersion()) {
        field = "to_version";
        if (in.getToVersion() < 1) throw Errors.invalid("to_version: must be 1 or more, got " + in.getToVersion());
        point.setVersion(in.getToVersion());
      } else if (in.hasToTime()) {
        field = "to_time";
        WireTime.instant(in.getToTime(), "to_time");
        point.setTime(in.getToTime());
      } else {
        throw Errors.invalid("to_version: one of to_version and to_time is required");
      }
      Long expected = in.hasExpectedVersion() ? in.getExpectedVersion() : null;
      return AuditServiceImpl.at(caller, lbId, point.build(), field, field, pastStates).thenCompose(at -> {
        if (!(at.state() instanceof Active target)) {
          throw Errors.invalid(field + ": load balancer " + lbId + " was already deleted at that point (version "
              + History.version(at.state()) + "); pick a point before its delete");
        }
        return rollBack(lbId, caller, "RollbackLoadBalancer", target, expected, in.getDryRun(), false);
      });
    });
  }

  @Override
  public CompletionStage<RollbackLoadBalancerResponse> restoreLoadBalancer(RestoreLoadBalancerRequest in,
      Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("id", in.getId());
      return AuditServiceImpl.at(caller, lbId, PointInTime.getDefaultInstance(), "id", "id", pastStates)
          .thenCompose(latest -> {
            if (!(latest.state() instanceof LoadBalancerState.Deleted deleted)) {
              throw Errors.toStatus(io.fiberlb.controlplane.model.Rejection.precondition("id: load balancer " + lbId + " is not deleted; to go back to an earlier"
                  + " version of it, use RollbackLoadBalancer"));
            }
            // The state just before the delete: the delete is the only event at the deleted version.
            var before = PointInTime.newBuilder().setVersion(deleted.version() - 1).build();
            return AuditServiceImpl.at(caller, lbId, before, "id", "id", pastStates);
          })
          .thenCompose(at -> rollBack(lbId, caller, "RestoreLoadBalancer", (Active) at.state(), null,
              in.getValidateOnly(), in.getNewVip()));
    });
  }

  private CompletionStage<RollbackLoadBalancerResponse> rollBack(String lbId, Caller caller, String command,
      Active target, Long expected, boolean dryRun, boolean newVip) {
    return gw.ask(lbId, r -> new RollBack(caller, command, target.version(), target, expected, dryRun, newVip, r),
        reply -> response((RolledBackReply) reply, target.version()));
  }

  private static RollbackLoadBalancerResponse response(RolledBackReply reply, long toVersion) {
    LoadBalancerSnapshot before = Snapshots.snapshot(reply.before(), 0);
    LoadBalancerSnapshot after = Snapshots.snapshot(reply.after(), 0);
    return RollbackLoadBalancerResponse.newBuilder().setLoadBalancer(after)
        .setFromVersion(History.version(reply.before())).setToVersion(toVersion)
        .setVersion(reply.after().version()).addAllChanges(Snapshots.diff(before, after)).setDryRun(reply.dryRun())
        .setDisruption(DryRunAnswers.disruption(Estimates.of(
            reply.before() instanceof Active a ? DesiredStates.of(a) : null, DesiredStates.of(reply.after()),
            reply.stats())))
        .build();
  }
}
