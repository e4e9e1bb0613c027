package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerProtocol.DryRunReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.disruption.Disruption;
import io.fiberlb.controlplane.disruption.Estimates;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** The answer of a write's dry run, from the state before and the state the write would leave. */
public final class DryRuns {
  private DryRuns() {}

  /** Another entity refused what the write would need (a quota, a name, a VIP): the dry run answers that. */
  static final class Refused extends RuntimeException {
    final Rejection rejection;

    Refused(Rejection rejection) {
      super(rejection.message(), null, false, false);
      this.rejection = rejection;
    }
  }

  /**
   * The dry run of a create of a load balancer that does not exist yet, worked out without its entity (starting
   * one is journaled): the create's own rules, and the VIP it would get.
   *
   * @param vip the address the VIP pool would allocate to it now
   * @return a {@link DryRunReply}, or a {@link LoadBalancerEntity.Rejected} when the rules refuse it
   */
  public static Reply newLoadBalancer(String lbId, LoadBalancerEntity.CreateLoadBalancer c, String vipRange,
      String vip) {
    Decision d = new Writes(lbId, Map.of(), Map.of()).createLoadBalancer(c, vipRange);
    if (d instanceof Decision.Refuse r) return new LoadBalancerEntity.Rejected(r.why());
    var w = (Decision.Write) d;
    LoadBalancerState before = new LoadBalancerState.NotCreated(0);
    LoadBalancerState after = before.apply(w.event()).apply(new LoadBalancerEvent.Created(vip, vipRange,
        EventMeta.system(c.caller().requestId(), "CreateLoadBalancer", "dry run")));
    return of(before, after, w.reply().apply(after), StatsSnapshot.none(), Map.of());
  }

  static DryRunReply of(LoadBalancerState before, LoadBalancerState after, Reply reply, StatsSnapshot stats,
      Map<String, String> listenerErrors) {
    DesiredLoadBalancer from = before instanceof Active a ? DesiredStates.of(a) : null;
    DesiredLoadBalancer to = after instanceof Active a ? DesiredStates.of(a) : null;
    Disruption disruption = from == null && to == null ? Disruption.NONE : Estimates.of(from, to, stats);
    return new DryRunReply(Views.tree(before, listenerErrors), Views.tree(after, listenerErrors), reply, disruption);
  }

  /**
   * A write's dry run: the event is applied to the state, never persisted, and nothing else is told anything. What
   * another entity must agree to is asked with its changes-nothing variant (quota, name, the VIP a create would
   * get). The answer is worked out off the actor (tables for the disruption estimate) from immutable values.
   *
   * @param errors a copy of the data plane's listener reports
   */
  static CompletionStage<Reply> answer(String lbId, LoadBalancerState s, Decision d,
      LoadBalancerProtocol.WriteCommand c, StatsSnapshot stats, Map<String, String> errors, Directory directory,
      ControlPlaneSettings settings, ActorSystem<?> system, Executor executor) {
    if (d instanceof Decision.Answer a) return CompletableFuture.completedFuture(of(s, s, a.reply(), stats, errors));
    var w = (Decision.Write) d;
    CompletionStage<LoadBalancerState> after;
    if (w.event() instanceof LoadBalancerEvent.CreationStarted started) {
      String range = settings.vipRange();
      after = AskPattern.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(directory.vipPool(range),
              r -> new VipPoolEntity.CheckAllocate(lbId, started.requestedVip(), r), settings.askTimeout(),
              system.scheduler())
          .thenApply(v -> {
            if (v.rejection() != null) throw new Refused(v.rejection());
            return s.apply(started).apply(new LoadBalancerEvent.Created(v.address(), range,
                EventMeta.system(c.caller().requestId(), "CreateLoadBalancer", "dry run")));
          });
    } else if (w.project() != null) {
      LoadBalancerInfo info = ((Active) s).info();
      after = AskPattern.<ProjectEntity.Command, ProjectEntity.Reply>ask(
              directory.project(info.orgId(), info.projectId()), r -> w.project().ask(lbId, r), settings.askTimeout(),
              system.scheduler())
          .thenApply(reply -> {
            if (reply instanceof ProjectEntity.Refused f) throw new Refused(f.rejection());
            return s.apply(w.event());
          });
    } else {
      after = CompletableFuture.completedFuture(s.apply(w.event()));
    }
    return after.thenApplyAsync(ns -> of(s, ns, w.reply().apply(ns), stats, errors), executor);
  }

  /** What a dry run that could not finish answers: the refusal, or that another entity did not answer in time. */
  static Rejection rejection(Throwable err) {
    Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (t instanceof Refused r) return r.rejection;
    return Rejection.unavailable("the project directory or the VIP pool did not answer in time (" + t
        + "); nothing was changed, retry");
  }
}
