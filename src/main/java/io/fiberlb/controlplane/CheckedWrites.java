package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.Rejected;
import io.fiberlb.controlplane.LoadBalancerProtocol.RollBack;
import io.fiberlb.controlplane.LoadBalancerProtocol.RolledBackReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * Writes that another entity must agree to before they are persisted: a child create reserves quota with the
 * project, a rename registers the name, a rollback adopts the new usage, a restore takes its VIP and name back.
 * While one waits for its answer, every other command to the load balancer is stashed ({@link #idle}), so the
 * event is still right for the state when it is persisted. Runs inside the entity's actor.
 */
final class CheckedWrites {
  private final String lbId;
  private final ActorContext<Command> ctx;
  private final Directory directory;
  private final ControlPlaneSettings settings;
  private final DataPlaneBridge bridge;
  private final LifecycleSagas.Host host;
  private final EffectFactories<LoadBalancerEvent, LoadBalancerState> effects;
  private final RestoreSteps restoreSteps;
  private PendingWrite pending;

  CheckedWrites(String lbId, ActorContext<Command> ctx, Directory directory, ControlPlaneSettings settings,
      DataPlaneBridge bridge, LifecycleSagas.Host host, EffectFactories<LoadBalancerEvent, LoadBalancerState> effects) {
    this.lbId = lbId;
    this.ctx = ctx;
    this.directory = directory;
    this.settings = settings;
    this.bridge = bridge;
    this.host = host;
    this.effects = effects;
    this.restoreSteps = new RestoreSteps(lbId, directory, settings, ctx.getSystem(), ctx.getExecutionContext());
  }

  /** No write is waiting for another entity's answer. */
  boolean idle() {
    return pending == null;
  }

  /** After recovery of a deleted load balancer: whatever a restore that crashed half way took is given back. */
  void releaseLeftovers(LoadBalancerInfo info) {
    restoreSteps.releaseLeftovers(info);
  }

  /**
   * A write that waits for another entity's answer before it is persisted: the event, from the VIP the steps took
   * (a restore's); with {@code dryRun} it is answered from the state it would make and never persisted.
   */
  private record PendingWrite(Function<String, LoadBalancerEvent> event, ActorRef<Reply> replyTo,
      Function<LoadBalancerState, Reply> reply, boolean dryRun) {}

  /** @param vip the VIP a restore's steps took (empty otherwise) */
  record CheckDone(Rejection rejection, String failure, String vip) implements Command {}

  /**
   * Ask another entity, then persist {@code event} if it agreed. Every other command is stashed until the answer
   * comes, so the event is still right for the state when it is persisted.
   */
  ReplyEffect<LoadBalancerEvent, LoadBalancerState> checkThenPersist(CompletionStage<ProjectEntity.Reply> check,
      Function<String, LoadBalancerEvent> event, ActorRef<Reply> replyTo, Function<LoadBalancerState, Reply> reply,
      boolean dryRun) {
    return stepsThenPersist(check.thenApply(r -> new CheckDone(
        r instanceof ProjectEntity.Refused f ? f.rejection() : null, null, "")), event, replyTo, reply, dryRun);
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> stepsThenPersist(CompletionStage<CheckDone> check,
      Function<String, LoadBalancerEvent> event, ActorRef<Reply> replyTo, Function<LoadBalancerState, Reply> reply,
      boolean dryRun) {
    pending = new PendingWrite(event, replyTo, reply, dryRun);
    ctx.pipeToSelf(check, (r, err) -> err != null ? new CheckDone(null, String.valueOf(err), "") : r);
    return effects.noReply();
  }

  ReplyEffect<LoadBalancerEvent, LoadBalancerState> onCheckDone(LoadBalancerState state, CheckDone d) {
    PendingWrite p = pending;
    pending = null;
    if (p == null) return effects.noReply();
    if (d.failure() != null || d.rejection() != null) {
      Rejection why = d.rejection() != null ? d.rejection()
          : Rejection.unavailable("the project directory did not answer in time (" + d.failure() + "); nothing was changed, retry");
      p.replyTo().tell(new Rejected(why));
      return LifecycleSagas.unstashing(effects.none().thenUnstashAll());
    }
    if (p.dryRun()) { // the state the event would make, by the same pure handler; nothing persisted
      p.replyTo().tell(p.reply().apply(state.apply(p.event().apply(d.vip()))));
      return LifecycleSagas.unstashing(effects.none().thenUnstashAll());
    }
    return LifecycleSagas.unstashing(host.persist(p.event().apply(d.vip())).thenRun(ns -> p.replyTo().tell(p.reply().apply(ns)))
        .thenUnstashAll());
  }

  // ------------------------------------------------------------------ rollback and restore

  ReplyEffect<LoadBalancerEvent, LoadBalancerState> rollBack(Active s, RollBack c) {
    Optional<Rejection> stale = Writes.checkVersion(c.expectedVersion(), s.version(), "load balancer");
    if (stale.isPresent()) return reject(c.replyTo(), stale.get());
    if (c.newVip()) {
      return reject(c.replyTo(), Rejection.precondition("new_vip: load balancer " + lbId
          + " is not deleted; a live load balancer keeps its VIP"));
    }
    var outcome = Rollback.plan(s, c.target(), c.toVersion(), "", "", EventMeta.of(c.caller(), c.command()));
    if (outcome.rejection() != null) return reject(c.replyTo(), outcome.rejection());
    if (outcome.event() == null) return effects.reply(c.replyTo(), new RolledBackReply(s, s, c.dryRun(), bridge.stats()));
    Active after = outcome.after();
    var check = ask(directory.project(s.info().orgId(), s.info().projectId()),
        (ActorRef<ProjectEntity.Reply> r) -> new ProjectEntity.Adopt(lbId, after.info().name(), after.usage(), c.dryRun(), r));
    return checkThenPersist(check, vip -> outcome.event(), c.replyTo(),
        ns -> new RolledBackReply(s, (Active) ns, c.dryRun(), bridge.stats()), c.dryRun());
  }

  /**
   * A deleted load balancer brought back: its VIP first (the old one unless a new one is asked for), then its name
   * and quotas in the project; a refusal of the second gives the VIP back. Then one event, as a rollback's.
   */
  ReplyEffect<LoadBalancerEvent, LoadBalancerState> restore(Deleted s, RollBack c) {
    Optional<Rejection> stale = Writes.checkVersion(c.expectedVersion(), s.version(), "load balancer");
    if (stale.isPresent()) return reject(c.replyTo(), stale.get());
    if (!s.cleanedUp()) {
      return reject(c.replyTo(), Rejection.unavailable("load balancer " + lbId
          + " is still giving back its VIP and name after its delete; nothing was changed, retry in a moment"));
    }
    String old = s.info().vipAddress();
    String range = c.newVip() || s.info().vipPool().isEmpty() ? settings.vipRange() : s.info().vipPool();
    String wanted = c.newVip() ? "" : old;
    var meta = EventMeta.of(c.caller(), c.command());
    // Planned with the old VIP to check the tree; the event is made again with the VIP the steps took.
    var outcome = Rollback.plan(s, c.target(), c.toVersion(), old, range, meta);
    if (outcome.rejection() != null) return reject(c.replyTo(), outcome.rejection());
    Active after = outcome.after();
    CompletionStage<CheckDone> steps = restoreSteps.run(s.info(), range, wanted, after.info().name(), after.usage(),
        c.dryRun()).thenApply(r -> new CheckDone(r.refused(), null, r.vip()));
    var base = outcome.event();
    Function<String, LoadBalancerEvent> event = vip -> new LoadBalancerEvent.RolledBack(base.fromVersion(),
        base.toVersion(), base.name(), base.description(), base.adminStateUp(), base.tags(), base.children(),
        base.removedChildIds(), vip, range, base.meta());
    return stepsThenPersist(steps, event, c.replyTo(),
        ns -> new RolledBackReply(s, (Active) ns, c.dryRun(), bridge.stats()), c.dryRun());
  }


  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> reject(ActorRef<Reply> replyTo, Rejection r) {
    return effects.reply(replyTo, new Rejected(r));
  }

  private <Req, Res> CompletionStage<Res> ask(RecipientRef<Req> target,
      org.apache.pekko.japi.function.Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message, settings.askTimeout(), ctx.getSystem().scheduler());
  }
}
