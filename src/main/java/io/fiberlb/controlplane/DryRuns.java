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
import java.util.Map;
import java.util.concurrent.CompletionException;

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

  /** What a dry run that could not finish answers: the refusal, or that another entity did not answer in time. */
  static Rejection rejection(Throwable err) {
    Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (t instanceof Refused r) return r.rejection;
    return Rejection.unavailable("the project directory or the VIP pool did not answer in time (" + t
        + "); nothing was changed, retry");
  }
}
