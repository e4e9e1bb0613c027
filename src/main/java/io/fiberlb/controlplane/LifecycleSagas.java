package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.DeletedReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.LoadBalancerReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Rejected;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Creating;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EffectFactories;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * The sagas of a load balancer's own lifecycle: creating it (register the name with the project, allocate the VIP;
 * undo both when a step is refused) and cleaning up after its delete (release the VIP, unregister the name). Each
 * step is idempotent and the journal says how far it got, so after a crash the entity resumes from
 * {@link #resume}. Failures are retried with backoff; callers that asked wait in {@code waiters} for the outcome.
 * Runs inside the entity's actor.
 */
final class LifecycleSagas {
  /** What the sagas need from the entity: its persist (which publishes to the data plane) and its idle timer. */
  interface Host {
    EffectBuilder<LoadBalancerEvent, LoadBalancerState> persist(LoadBalancerEvent event);

    void scheduleIdle();
  }

  private final String lbId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Directory directory;
  private final ControlPlaneSettings settings;
  private final DataPlaneBridge bridge;
  private final Host host;
  private final EffectFactories<LoadBalancerEvent, LoadBalancerState> effects;

  // Transient: what the saga is waiting for. None of it is state; after a crash the journal says what to redo.
  private final List<ActorRef<Reply>> waiters = new ArrayList<>();
  private boolean stepInFlight;
  private Rejection compensating;
  private int attempt;

  LifecycleSagas(String lbId, ActorContext<Command> ctx, TimerScheduler<Command> timers, Directory directory,
      ControlPlaneSettings settings, DataPlaneBridge bridge, Host host,
      EffectFactories<LoadBalancerEvent, LoadBalancerState> effects) {
    this.lbId = lbId;
    this.ctx = ctx;
    this.timers = timers;
    this.directory = directory;
    this.settings = settings;
    this.bridge = bridge;
    this.host = host;
    this.effects = effects;
  }

  /** A create or delete was just persisted (or is under way): {@code replyTo} gets its outcome. */
  void await(ActorRef<Reply> replyTo) {
    waiters.add(replyTo);
  }

  boolean nobodyWaits() {
    return waiters.isEmpty();
  }

  /** After a create was persisted: the steps start from the first. */
  void started(Creating created, ActorRef<Reply> replyTo) {
    waiters.add(replyTo);
    attempt = 0;
    runCreationSteps(created);
  }

  /** After a delete was persisted: the cleanup starts. */
  void deleted(Deleted deleted, ActorRef<Reply> replyTo) {
    waiters.add(replyTo);
    attempt = 0;
    runCleanup(deleted);
  }

  /** After recovery: an unfinished create or cleanup goes on. */
  void resume(LoadBalancerState state) {
    if (state instanceof Creating c) runCreationSteps(c);
    else if (state instanceof Deleted d && !d.cleanedUp()) runCleanup(d);
  }

  /** Whether {@code cmd} is one of the sagas' own messages (then {@link #handle} takes it). */
  static boolean owns(Command cmd) {
    return cmd instanceof StepsDone || cmd instanceof CompensationDone || cmd instanceof CleanupDone
        || cmd instanceof Retry;
  }

  ReplyEffect<LoadBalancerEvent, LoadBalancerState> handle(LoadBalancerState state, Command cmd) {
    if (cmd instanceof StepsDone d) return onStepsDone(state, d);
    if (cmd instanceof CompensationDone d) return onCompensationDone(state, d);
    if (cmd instanceof CleanupDone d) return onCleanupDone(state, d);
    return onRetry(state);
  }

  private void runCreationSteps(Creating c) {
    if (stepInFlight) return;
    stepInFlight = true;
    String range = settings.vipRange();
    var project = directory.project(c.info().orgId(), c.info().projectId());
    CompletionStage<StepsDone> steps =
        this.<ProjectEntity.Command, ProjectEntity.Reply>ask(project, r -> new ProjectEntity.Register(lbId, c.info().name(), r))
            .thenComposeAsync(reply -> {
              if (reply instanceof ProjectEntity.Refused r) {
                return CompletableFuture.completedFuture(new StepsDone("", "", r.rejection(), null));
              }
              return this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(directory.vipPool(range),
                      r -> new VipPoolEntity.Allocate(lbId, c.requestedVip(), r))
                  .thenApply(v -> new StepsDone(v.address(), range, v.rejection(), null));
            }, ctx.getExecutionContext());
    ctx.pipeToSelf(steps, (ok, err) -> ok != null ? ok : new StepsDone("", "", null, String.valueOf(err)));
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onStepsDone(LoadBalancerState state, StepsDone d) {
    stepInFlight = false;
    if (!(state instanceof Creating c)) return effects.noReply();
    if (d.failure() != null) return retryLater("create steps: " + d.failure());
    if (d.rejection() != null) {
      compensating = d.rejection();
      runCompensation(c);
      return effects.noReply();
    }
    attempt = 0;
    var meta = EventMeta.system(c.requestId(), "CreateLoadBalancer",
        "name registered with the project and VIP " + d.vip() + " allocated from " + d.vipPool());
    return unstashing(host.persist(new LoadBalancerEvent.Created(d.vip(), d.vipPool(), meta))
        .thenRun((Active a) -> replyToWaiters(new LoadBalancerReply(a.view(bridge.listenerErrors(), bridge.binding()))))
        .thenUnstashAll());
  }

  /** A create step was refused: give back whatever the earlier steps took, then record the failure. */
  private void runCompensation(Creating c) {
    if (stepInFlight) return;
    stepInFlight = true;
    var project = directory.project(c.info().orgId(), c.info().projectId());
    CompletionStage<CompensationDone> undo =
        this.<ProjectEntity.Command, ProjectEntity.Reply>ask(project, r -> new ProjectEntity.Unregister(lbId, r))
            .thenComposeAsync(x -> this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(
                directory.vipPool(settings.vipRange()), r -> new VipPoolEntity.Release(lbId, r)), ctx.getExecutionContext())
            .thenApply(x -> new CompensationDone(null));
    ctx.pipeToSelf(undo, (ok, err) -> ok != null ? ok : new CompensationDone(String.valueOf(err)));
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onCompensationDone(LoadBalancerState state, CompensationDone d) {
    stepInFlight = false;
    if (!(state instanceof Creating c) || compensating == null) return effects.noReply();
    if (d.failure() != null) return retryLater("undo create: " + d.failure());
    Rejection why = compensating;
    compensating = null;
    attempt = 0;
    var meta = EventMeta.system(c.requestId(), "CreateLoadBalancer", "create refused and undone: " + why.message());
    return unstashing(host.persist(new LoadBalancerEvent.CreationFailed(why, meta))
        .thenRun(() -> {
          replyToWaiters(new Rejected(why));
          host.scheduleIdle();
        })
        .thenUnstashAll());
  }

  private void runCleanup(Deleted d) {
    if (stepInFlight) return;
    stepInFlight = true;
    LoadBalancerInfo info = d.info();
    String range = info.vipPool().isEmpty() ? settings.vipRange() : info.vipPool();
    CompletionStage<CleanupDone> steps =
        this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(directory.vipPool(range), r -> new VipPoolEntity.Release(lbId, r))
            .thenComposeAsync(x -> this.<ProjectEntity.Command, ProjectEntity.Reply>ask(
                directory.project(info.orgId(), info.projectId()), r -> new ProjectEntity.Unregister(lbId, r)),
                ctx.getExecutionContext())
            .thenApply(x -> new CleanupDone(null));
    ctx.pipeToSelf(steps, (ok, err) -> ok != null ? ok : new CleanupDone(String.valueOf(err)));
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onCleanupDone(LoadBalancerState state, CleanupDone d) {
    stepInFlight = false;
    if (!(state instanceof Deleted del) || del.cleanedUp()) return effects.noReply();
    if (d.failure() != null) return retryLater("delete cleanup: " + d.failure());
    attempt = 0;
    var meta = EventMeta.system(del.requestId(), "DeleteLoadBalancer",
        "VIP " + del.info().vipAddress() + " released and name unregistered after delete");
    return host.persist(new LoadBalancerEvent.CleanedUp(meta))
        .thenRun((Deleted done) -> {
          replyToWaiters(new DeletedReply(done.version()));
          host.scheduleIdle(); // a restore may follow soon: leave memory only when idle, as an unknown id does
        })
        .thenNoReply();
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onRetry(LoadBalancerState state) {
    if (state instanceof Creating c) {
      if (compensating != null) runCompensation(c);
      else runCreationSteps(c);
    } else if (state instanceof Deleted d && !d.cleanedUp()) {
      runCleanup(d);
    }
    return effects.noReply();
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> retryLater(String what) {
    long min = settings.retryBackoffMin().toMillis();
    long delay = Math.min(settings.retryBackoffMax().toMillis(), min << Math.min(attempt, 10));
    attempt++;
    ctx.getLog().warn("load balancer {}: {}; retrying in {} ms", lbId, what, delay);
    timers.startSingleTimer("retry", new Retry(what), Duration.ofMillis(delay));
    return effects.noReply();
  }

  private void replyToWaiters(Reply reply) {
    waiters.forEach(w -> w.tell(reply));
    waiters.clear();
  }

  record StepsDone(String vip, String vipPool, Rejection rejection, String failure) implements Command {}

  record CompensationDone(String failure) implements Command {}

  record CleanupDone(String failure) implements Command {}

  record Retry(String why) implements Command {}


  private <Req, Res> CompletionStage<Res> ask(RecipientRef<Req> target,
      org.apache.pekko.japi.function.Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message, settings.askTimeout(), ctx.getSystem().scheduler());
  }

  /**
   * Pekko's Java DSL types {@code thenUnstashAll()} as a plain Effect, but the object it returns is the same
   * EffectImpl that implements ReplyEffect. With enforced replies the handler must return a ReplyEffect; the
   * replies of these effects are sent by their side effects (or were sent already).
   */
  @SuppressWarnings("unchecked")
  static ReplyEffect<LoadBalancerEvent, LoadBalancerState> unstashing(Effect<LoadBalancerEvent, LoadBalancerState> e) {
    return (ReplyEffect<LoadBalancerEvent, LoadBalancerState>) e;
  }
}
