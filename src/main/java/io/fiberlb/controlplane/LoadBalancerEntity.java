package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildDeleted;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Creating;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.LoadBalancerState.NotCreated;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.LoadBalancerView;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.disruption.Disruption;
import io.fiberlb.port.DataPlanePort;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.StatsSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One load balancer and everything it owns: listeners, pools, backends, health checks. Commands to one load
 * balancer are serialised by this actor, so cross-child rules (one listener per port, references that exist, no
 * delete of a pool in use) are checked atomically, and concurrent writers queue instead of failing.
 *
 * <p>Writes that need another entity (the project for names and quotas, the VIP pool for addresses) ask it
 * first and stash every other command meanwhile, so nothing is decided on a state that is about to change.
 * Creating and deleting a load balancer are sagas whose steps are idempotent and whose progress is in the
 * journal: after a crash the entity restarts by itself (remember-entities) and finishes them.
 */
public final class LoadBalancerEntity
    extends EventSourcedBehaviorWithEnforcedReplies<LoadBalancerProtocol.Command, LoadBalancerEvent, LoadBalancerState>
    implements LoadBalancerProtocol {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "LoadBalancer");


  private record StepsDone(String vip, String vipPool, Rejection rejection, String failure) implements Command {}

  private record CompensationDone(String failure) implements Command {}

  private record CleanupDone(String failure) implements Command {}

  /** @param vip the VIP a restore's steps took (empty otherwise) */
  private record CheckDone(Rejection rejection, String failure, String vip) implements Command {}

  private record Retry(String why) implements Command {}

  private record Idle(long at) implements Command {}

  /** A report of this load balancer's data plane (bind errors, health transitions), through a message adapter. */
  private record FromDataPlane(DataPlaneReport report) implements Command {}
  // ------------------------------------------------------------------ construction

  /** The id of a load balancer created with a client request id: a retry lands on the same entity. */
  public static String idFor(String orgId, String projectId, String requestId) {
    return UUID.nameUUIDFromBytes(("lb\n" + orgId + "\n" + projectId + "\n" + requestId).getBytes(
        java.nio.charset.StandardCharsets.UTF_8)).toString();
  }

  /**
   * @param shard the shard to ask for passivation (null outside sharding); asked only once nothing is held:
   *     never created, or deleted and cleaned up
   */
  public static Behavior<Command> create(String lbId, Directory directory, ControlPlaneSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return create(lbId, directory, settings, shard, null);
  }

  /** @param dataPlane serves the load balancer's listeners on this node; null for none (control-plane tests) */
  public static Behavior<Command> create(String lbId, Directory directory, ControlPlaneSettings settings,
      ActorRef<ClusterSharding.ShardCommand> shard, DataPlanePort dataPlane) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LoadBalancerEntity(lbId, ctx, timers, directory,
        settings, dataPlane, shard == null ? () -> {} : () -> shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf())))));
  }

  private final String lbId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Directory directory;
  private final ControlPlaneSettings settings;
  private final Runnable passivate;
  /** What this node's data plane runs for the load balancer, and what it reported back. */
  private final DataPlaneBridge bridge;
  /** The bridge's reports of listeners that cannot serve, and of binds under way (the same maps): for the views. */
  private final Map<String, String> listenerErrors;
  private final Map<String, io.fiberlb.controlplane.model.Enums.ProvisioningStatus> binding;

  // Transient: what the entity is waiting for. None of it is state; after a crash the journal says what to redo.
  private final List<ActorRef<Reply>> waiters = new ArrayList<>();
  private PendingWrite pending;
  private boolean stepInFlight;
  private Rejection compensating;
  private int attempt;
  private String projectTag = "";

  /**
   * A write that waits for another entity's answer before it is persisted: the event, from the VIP the steps took
   * (a restore's); with {@code dryRun} it is answered from the state it would make and never persisted.
   */
  private record PendingWrite(Function<String, LoadBalancerEvent> event, ActorRef<Reply> replyTo,
      Function<LoadBalancerState, Reply> reply, boolean dryRun) {}

  private final RestoreSteps restoreSteps;

  /** The shard was asked to stop this entity: a stop that comes after a restore must start it again. */
  private boolean passivationAsked;

  private LoadBalancerEntity(String lbId, ActorContext<Command> ctx, TimerScheduler<Command> timers,
      Directory directory, ControlPlaneSettings settings, DataPlanePort dataPlane, Runnable passivate) {
    super(PersistenceId.of(TYPE_KEY.name(), lbId),
        // A journal failure restarts the entity (it recovers again from the journal) but keeps its children: the
        // data-plane runtime goes on serving the VIP meanwhile, and this object keeps its ref to it.
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2)
            .withStopChildren(false));
    this.lbId = lbId;
    this.ctx = ctx;
    this.timers = timers;
    this.directory = directory;
    this.settings = settings;
    this.passivate = () -> {
      passivationAsked = true;
      passivate.run();
    };
    this.bridge = new DataPlaneBridge(lbId, ctx, dataPlane,
        dataPlane == null ? null : ctx.messageAdapter(DataPlaneReport.class, FromDataPlane::new));
    this.listenerErrors = bridge.listenerErrors();
    this.binding = bridge.binding();
    this.restoreSteps = new RestoreSteps(lbId, directory, settings, ctx.getSystem(), ctx.getExecutionContext());
  }

  @Override
  public LoadBalancerState emptyState() {
    return new NotCreated(0);
  }

  /**
   * A snapshot every {@code snapshot-every} events. With {@code keep-snapshots = all} (the default) none is ever
   * deleted: they are where the audit starts to rebuild a past state ({@code GetLoadBalancerAt}), so a point
   * anywhere in a long history costs one snapshot and at most {@code snapshot-every} events. Otherwise the newest
   * {@code keep-snapshots} are kept, as Pekko's retention does it.
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return settings.keepSnapshots() == 0 ? RetentionCriteria.disabled()
        : RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
  }

  @Override
  public boolean shouldSnapshot(LoadBalancerState state, LoadBalancerEvent event, long sequenceNr) {
    return settings.keepSnapshots() == 0 && sequenceNr % settings.snapshotEvery() == 0;
  }

  /** Tagged by project so that a project's history can be streamed (read journal eventsByTag). */
  @Override
  public Set<String> tagsFor(LoadBalancerEvent event) {
    if (event instanceof LoadBalancerEvent.CreationStarted e) return Set.of(projectTag(e.info()));
    return projectTag.isEmpty() ? Set.of() : Set.of(projectTag);
  }

  public static String projectTag(LoadBalancerInfo info) {
    return projectTag(info.orgId(), info.projectId());
  }

  public static String projectTag(String orgId, String projectId) {
    return "project:" + orgId + "/" + projectId;
  }

  private static String projectTagOf(LoadBalancerState state) {
    if (state instanceof Creating c) return projectTag(c.info());
    if (state instanceof Active a) return projectTag(a.info());
    if (state instanceof Deleted d) return projectTag(d.info());
    return "";
  }

  @Override
  public EventHandler<LoadBalancerState, LoadBalancerEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(LoadBalancerState::apply);
  }

  @Override
  public SignalHandler<LoadBalancerState> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecovered).build();
  }

  /** Replay and live paths meet here: whatever the journal says is unfinished is resumed. */
  private void onRecovered(LoadBalancerState state) {
    projectTag = projectTagOf(state);
    publish(state);
    if (state instanceof Creating c) {
      runCreationSteps(c);
    } else if (state instanceof Deleted d) {
      if (d.cleanedUp()) {
        restoreSteps.releaseLeftovers(d.info());
        scheduleIdle(); // not at once: it may have been woken to be restored
      } else {
        runCleanup(d);
      }
    } else if (state instanceof Active a) {
      // Heals a project count left high by a crash between a quota reservation and its event.
      directory.project(a.info().orgId(), a.info().projectId())
          .tell(new ProjectEntity.Sync(lbId, a.info().name(), a.usage(), ctx.getSystem().ignoreRef()));
    } else {
      scheduleIdle();
    }
  }

  @Override
  public CommandHandlerWithReply<Command, LoadBalancerEvent, LoadBalancerState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onCommand(LoadBalancerState state, Command cmd) {
    // Every event persisted from here on is tagged with the project of the state it applies to.
    projectTag = projectTagOf(state);
    if (cmd instanceof StepsDone d) return onStepsDone(state, d);
    if (cmd instanceof CompensationDone d) return onCompensationDone(state, d);
    if (cmd instanceof CleanupDone d) return onCleanupDone(state, d);
    if (cmd instanceof CheckDone d) return onCheckDone(state, d);
    if (cmd instanceof Retry) return onRetry(state);
    if (cmd instanceof FromDataPlane r) return onDataPlaneReport(state, r.report());
    if (cmd instanceof Resume) return Effect().noReply();
    if (cmd instanceof Idle) {
      boolean holdsNothing = state instanceof NotCreated || (state instanceof Deleted d && d.cleanedUp());
      if (holdsNothing && pending == null && waiters.isEmpty()) passivate.run();
      return Effect().noReply();
    }
    if (pending != null) return Effect().stash();
    if (cmd instanceof Stop) return onStop(state);
    if (state instanceof NotCreated s) return notCreated(s, cmd);
    if (state instanceof Creating s) return creating(s, cmd);
    if (state instanceof Active s) return active(s, cmd);
    return deleted((Deleted) state, cmd);
  }

  // ------------------------------------------------------------------ not created

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> notCreated(NotCreated s, Command cmd) {
    if (cmd instanceof CreateLoadBalancer c) {
      if (c.validateOnly()) scheduleIdle(); // a dry run leaves it not created: it passivates as after any other
      return carryOut(s, writes(c).createLoadBalancer(c, settings.vipRange()), c);
    }
    scheduleIdle();
    return replyNotFound(cmd);
  }

  // ------------------------------------------------------------------ creating

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> creating(Creating s, Command cmd) {
    Caller caller = callerOf(cmd);
    if (caller == null || !caller.owns(s.info())) return replyNotFound(cmd);
    if (cmd instanceof CreateLoadBalancer c && !c.validateOnly()) {
      Optional<Rejection> reused = CreateRules.reusedRequestId(s.requestId(), s.requestHash(), c.requestHash());
      if (reused.isPresent()) return reject(c.replyTo(), reused.get());
      waiters.add(c.replyTo());
      return Effect().noReply();
    }
    if (cmd instanceof GetLoadBalancer c) return Effect().reply(c.replyTo(), new LoadBalancerReply(s.view()));
    if (cmd instanceof GetStatus c) return Effect().reply(c.replyTo(), new StatusReply(s.view(), List.of(), node()));
    // Everything else waits until the load balancer exists (or has failed to).
    return Effect().stash();
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
    if (!(state instanceof Creating c)) return Effect().noReply();
    if (d.failure() != null) return retryLater("create steps: " + d.failure());
    if (d.rejection() != null) {
      compensating = d.rejection();
      runCompensation(c);
      return Effect().noReply();
    }
    attempt = 0;
    var meta = EventMeta.system(c.requestId(), "CreateLoadBalancer",
        "name registered with the project and VIP " + d.vip() + " allocated from " + d.vipPool());
    return unstashing(persist(new LoadBalancerEvent.Created(d.vip(), d.vipPool(), meta))
        .thenRun((Active a) -> replyToWaiters(new LoadBalancerReply(a.view(listenerErrors, binding))))
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
    if (!(state instanceof Creating c) || compensating == null) return Effect().noReply();
    if (d.failure() != null) return retryLater("undo create: " + d.failure());
    Rejection why = compensating;
    compensating = null;
    attempt = 0;
    var meta = EventMeta.system(c.requestId(), "CreateLoadBalancer", "create refused and undone: " + why.message());
    return unstashing(persist(new LoadBalancerEvent.CreationFailed(why, meta))
        .thenRun(() -> {
          replyToWaiters(new Rejected(why));
          scheduleIdle();
        })
        .thenUnstashAll());
  }

  // ------------------------------------------------------------------ active

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> active(Active s, Command cmd) {
    Caller caller = callerOf(cmd);
    if (caller == null || !caller.owns(s.info())) return replyNotFound(cmd);
    if (cmd instanceof CreateLoadBalancer c) return carryOut(s, writes(c).repeatCreate(s, c), c);
    if (cmd instanceof GetLoadBalancer c) return Effect().reply(c.replyTo(), new LoadBalancerReply(s.view(listenerErrors, binding)));
    if (cmd instanceof GetStatus c) {
      return Effect().reply(c.replyTo(), new StatusReply(s.view(listenerErrors, binding),
          s.children().values().stream().map(ch -> s.view(ch, listenerErrors, binding)).toList(), node()));
    }
    if (cmd instanceof GetStats c) return Effect().reply(c.replyTo(), stats());
    if (cmd instanceof UpdateLoadBalancer c) return carryOut(s, writes(c).updateLoadBalancer(s, c), c);
    if (cmd instanceof DeleteLoadBalancer c) return carryOut(s, writes(c).deleteLoadBalancer(s, c), c);
    if (cmd instanceof CreateChild c) return carryOut(s, writes(c).createChild(s, c), c);
    if (cmd instanceof GetChild c) {
      return s.find(c.kind(), c.id())
          .map(ch -> Effect().reply(c.replyTo(), (Reply) new ChildReply(s.view(ch, listenerErrors, binding))))
          .orElseGet(() -> reject(c.replyTo(), writes().childNotFound(c.kind(), c.id())));
    }
    if (cmd instanceof ListChildren c) return onListChildren(s, c);
    if (cmd instanceof UpdateChild c) return carryOut(s, writes(c).updateChild(s, c), c);
    if (cmd instanceof DeleteChild c) return carryOut(s, writes(c).deleteChild(s, c), c);
    if (cmd instanceof RollBack c) return onRollBack(s, c);
    throw new IllegalArgumentException("unknown command " + cmd.getClass().getSimpleName());
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onListChildren(Active s, ListChildren c) {
    Kind parent = c.kind().parent;
    if (!c.parentId().isEmpty() && (parent == null || s.find(parent, c.parentId()).isEmpty())) {
      String field = parent == null ? "parent_id" : c.kind().parentField;
      return reject(c.replyTo(), Rejection.notFound(field + ": no " + (parent == null ? "parent" : parent.noun()) + " "
          + c.parentId() + " in load balancer " + lbId));
    }
    var items = new ArrayList<ChildView>();
    long next = 0;
    for (Child ch : s.children().values()) {
      if (ch.kind() != c.kind() || ch.createdVersion() <= c.after()) continue;
      if (!c.parentId().isEmpty() && !ch.parentId().equals(c.parentId())) continue;
      if (items.size() == c.limit()) {
        next = items.get(items.size() - 1).child().createdVersion();
        break;
      }
      items.add(s.view(ch, listenerErrors, binding));
    }
    return Effect().reply(c.replyTo(), new ChildrenReply(items, next));
  }

  // ------------------------------------------------------------------ rollback and restore

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onRollBack(Active s, RollBack c) {
    Optional<Rejection> stale = checkVersion(c.expectedVersion(), s.version(), "load balancer");
    if (stale.isPresent()) return reject(c.replyTo(), stale.get());
    if (c.newVip()) {
      return reject(c.replyTo(), Rejection.precondition("new_vip: load balancer " + lbId
          + " is not deleted; a live load balancer keeps its VIP"));
    }
    var outcome = Rollback.plan(s, c.target(), c.toVersion(), "", "", EventMeta.of(c.caller(), c.command()));
    if (outcome.rejection() != null) return reject(c.replyTo(), outcome.rejection());
    if (outcome.event() == null) return Effect().reply(c.replyTo(), new RolledBackReply(s, s, c.dryRun(), stats().stats()));
    Active after = outcome.after();
    var check = ask(directory.project(s.info().orgId(), s.info().projectId()),
        (ActorRef<ProjectEntity.Reply> r) -> new ProjectEntity.Adopt(lbId, after.info().name(), after.usage(), c.dryRun(), r));
    return checkThenPersist(check, vip -> outcome.event(), c.replyTo(),
        ns -> new RolledBackReply(s, (Active) ns, c.dryRun(), stats().stats()), c.dryRun());
  }

  /**
   * A deleted load balancer brought back: its VIP first (the old one unless a new one is asked for), then its name
   * and quotas in the project; a refusal of the second gives the VIP back. Then one event, as a rollback's.
   */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onRestore(Deleted s, RollBack c) {
    Optional<Rejection> stale = checkVersion(c.expectedVersion(), s.version(), "load balancer");
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
        ns -> new RolledBackReply(s, (Active) ns, c.dryRun(), stats().stats()), c.dryRun());
  }

  // ------------------------------------------------------------------ deleted

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> deleted(Deleted s, Command cmd) {
    Caller caller = callerOf(cmd);
    if (cmd instanceof DeleteLoadBalancer c && caller.owns(s.info()) && !s.cleanedUp()) {
      if (c.validateOnly()) return carryOut(s, Decision.answer(new DeletedReply(s.version())), c);
      waiters.add(c.replyTo());
      return Effect().noReply();
    }
    if (cmd instanceof CreateLoadBalancer c && caller.owns(s.info())) {
      return reject(c.replyTo(), Rejection.precondition("request_id: already used to create load balancer " + lbId
          + ", which has since been deleted; use a new request_id"));
    }
    if (cmd instanceof RollBack c && caller.owns(s.info())) return onRestore(s, c);
    return replyNotFound(cmd);
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
    if (!(state instanceof Deleted del) || del.cleanedUp()) return Effect().noReply();
    if (d.failure() != null) return retryLater("delete cleanup: " + d.failure());
    attempt = 0;
    var meta = EventMeta.system(del.requestId(), "DeleteLoadBalancer",
        "VIP " + del.info().vipAddress() + " released and name unregistered after delete");
    return persist(new LoadBalancerEvent.CleanedUp(meta))
        .thenRun((Deleted done) -> {
          replyToWaiters(new DeletedReply(done.version()));
          scheduleIdle(); // a restore may follow soon: leave memory only when idle, as an unknown id does
        })
        .thenNoReply();
  }

  // ------------------------------------------------------------------ data plane

  /**
   * Every persisted change of configuration goes through here, so replay (onRecovered) and live changes reach the
   * data plane by one path: it is handed what should run and converges on it. Health transitions do not: see
   * {@link DataPlaneBridge#report}.
   */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<LoadBalancerEvent, LoadBalancerState> persist(
      LoadBalancerEvent event) {
    return Effect().persist(event).thenRun(this::publish);
  }

  private void publish(LoadBalancerState state) {
    bridge.publish(state);
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onDataPlaneReport(LoadBalancerState state,
      DataPlaneReport report) {
    return bridge.report(state, report)
        .map(event -> Effect().persist(event).thenNoReply())
        .orElseGet(() -> Effect().noReply());
  }

  private String node() {
    return ctx.getSystem().address().toString();
  }

  private StatsReply stats() {
    return new StatsReply(bridge.stats());
  }

  // ------------------------------------------------------------------ carrying out writes

  /** The rules of writes; a dry run gets a copy of the listener reports, as it answers from another thread. */
  private Writes writes(WriteCommand c) {
    return new Writes(lbId, c.validateOnly() ? Map.copyOf(listenerErrors) : listenerErrors,
        c.validateOnly() ? Map.copyOf(binding) : binding);
  }

  private Writes writes() {
    return new Writes(lbId, listenerErrors, binding);
  }

  /** Carries out what {@link Writes} decided: for real, or as a dry run when the command asks for validate only. */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> carryOut(LoadBalancerState s, Decision d, WriteCommand c) {
    if (d instanceof Decision.Refuse r) return reject(c.replyTo(), r.why());
    if (c.validateOnly()) return dryRun(s, d, c);
    if (d instanceof Decision.Answer a) return Effect().reply(c.replyTo(), a.reply());
    var w = (Decision.Write) d;
    LoadBalancerEvent event = w.event();
    if (event instanceof LoadBalancerEvent.CreationStarted) {
      timers.cancel("idle");
      return persist(event)
          .thenRun((Creating created) -> {
            waiters.add(c.replyTo());
            attempt = 0;
            runCreationSteps(created);
          })
          .thenNoReply();
    }
    if (event instanceof LoadBalancerEvent.Deleted) {
      return persist(event)
          .thenRun((Deleted deleted) -> {
            waiters.add(c.replyTo());
            attempt = 0;
            runCleanup(deleted);
          })
          .thenNoReply();
    }
    if (w.project() != null) {
      LoadBalancerInfo info = ((Active) s).info();
      return checkThenPersist(ask(directory.project(info.orgId(), info.projectId()), r -> w.project().take(lbId, r)),
          vip -> event, c.replyTo(), w.reply(), false);
    }
    if (event instanceof ChildDeleted) {
      return persist(event)
          .thenRun((Active a) -> directory.project(a.info().orgId(), a.info().projectId())
              .tell(new ProjectEntity.Sync(lbId, a.info().name(), a.usage(), ctx.getSystem().ignoreRef())))
          .thenReply(c.replyTo(), w.reply()::apply);
    }
    return persist(event).thenReply(c.replyTo(), w.reply()::apply);
  }

  /**
   * A write's dry run: the event is applied to the state, never persisted, and nothing else is told anything. What
   * another entity must agree to is asked with its changes-nothing variant (quota, name, the VIP a create would
   * get). The answer is worked out off the actor (tables for the disruption estimate) from immutable values.
   */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> dryRun(LoadBalancerState s, Decision d, WriteCommand c) {
    StatsSnapshot stats = stats().stats();
    Map<String, String> errors = Map.copyOf(listenerErrors);
    CompletionStage<Reply> answer;
    if (d instanceof Decision.Answer a) {
      answer = CompletableFuture.completedFuture(DryRuns.of(s, s, a.reply(), stats, errors));
    } else {
      var w = (Decision.Write) d;
      CompletionStage<LoadBalancerState> after;
      if (w.event() instanceof LoadBalancerEvent.CreationStarted started) {
        String range = settings.vipRange();
        after = this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(directory.vipPool(range),
                r -> new VipPoolEntity.CheckAllocate(lbId, started.requestedVip(), r))
            .thenApply(v -> {
              if (v.rejection() != null) throw new DryRuns.Refused(v.rejection());
              return s.apply(started).apply(new LoadBalancerEvent.Created(v.address(), range,
                  EventMeta.system(c.caller().requestId(), "CreateLoadBalancer", "dry run")));
            });
      } else if (w.project() != null) {
        LoadBalancerInfo info = ((Active) s).info();
        after = this.<ProjectEntity.Command, ProjectEntity.Reply>ask(directory.project(info.orgId(), info.projectId()),
                r -> w.project().ask(lbId, r))
            .thenApply(reply -> {
              if (reply instanceof ProjectEntity.Refused f) throw new DryRuns.Refused(f.rejection());
              return s.apply(w.event());
            });
      } else {
        after = CompletableFuture.completedFuture(s.apply(w.event()));
      }
      answer = after.thenApplyAsync(ns -> DryRuns.of(s, ns, w.reply().apply(ns), stats, errors),
          ctx.getExecutionContext());
    }
    ActorRef<Reply> replyTo = c.replyTo();
    answer.whenComplete((reply, err) -> replyTo.tell(reply != null ? reply : new Rejected(DryRuns.rejection(err))));
    return Effect().noReply();
  }

  // ------------------------------------------------------------------ shared machinery

  /**
   * Ask another entity, then persist {@code event} if it agreed. Every other command is stashed until the answer
   * comes, so the event is still right for the state when it is persisted.
   */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> checkThenPersist(CompletionStage<ProjectEntity.Reply> check,
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
    return Effect().noReply();
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onCheckDone(LoadBalancerState state, CheckDone d) {
    PendingWrite p = pending;
    pending = null;
    if (p == null) return Effect().noReply();
    if (d.failure() != null || d.rejection() != null) {
      Rejection why = d.rejection() != null ? d.rejection()
          : Rejection.unavailable("the project directory did not answer in time (" + d.failure() + "); nothing was changed, retry");
      p.replyTo().tell(new Rejected(why));
      return unstashing(Effect().none().thenUnstashAll());
    }
    if (p.dryRun()) { // the state the event would make, by the same pure handler; nothing persisted
      p.replyTo().tell(p.reply().apply(state.apply(p.event().apply(d.vip()))));
      return unstashing(Effect().none().thenUnstashAll());
    }
    return unstashing(persist(p.event().apply(d.vip())).thenRun(ns -> p.replyTo().tell(p.reply().apply(ns)))
        .thenUnstashAll());
  }

  /**
   * Pekko's Java DSL types {@code thenUnstashAll()} as a plain Effect, but the object it returns is the same
   * EffectImpl that implements ReplyEffect. With enforced replies the handler must return a ReplyEffect; the
   * replies of these effects are sent by their side effects (or were sent already).
   */
  @SuppressWarnings("unchecked")
  private static ReplyEffect<LoadBalancerEvent, LoadBalancerState> unstashing(Effect<LoadBalancerEvent, LoadBalancerState> e) {
    return (ReplyEffect<LoadBalancerEvent, LoadBalancerState>) e;
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onRetry(LoadBalancerState state) {
    if (state instanceof Creating c) {
      if (compensating != null) runCompensation(c);
      else runCreationSteps(c);
    } else if (state instanceof Deleted d && !d.cleanedUp()) {
      runCleanup(d);
    }
    return Effect().noReply();
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> retryLater(String what) {
    long min = settings.retryBackoffMin().toMillis();
    long delay = Math.min(settings.retryBackoffMax().toMillis(), min << Math.min(attempt, 10));
    attempt++;
    ctx.getLog().warn("load balancer {}: {}; retrying in {} ms", lbId, what, delay);
    timers.startSingleTimer("retry", new Retry(what), Duration.ofMillis(delay));
    return Effect().noReply();
  }

  /**
   * Stopping by the shard's request. An entity with an unfinished create or delete wakes itself up again through
   * sharding, so that passivation or a rebalance can never strand a saga half done.
   */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onStop(LoadBalancerState state) {
    boolean unfinished = state instanceof Creating || (state instanceof Deleted d && !d.cleanedUp())
        || (state instanceof Active && passivationAsked); // restored after it asked to be passivated
    if (unfinished) directory.loadBalancer(lbId).tell(new Resume("unfinished saga at stop"));
    return Effect().stop().thenNoReply();
  }

  private void scheduleIdle() {
    timers.startSingleTimer("idle", new Idle(System.currentTimeMillis()), settings.idlePassivation());
  }

  private void replyToWaiters(Reply reply) {
    waiters.forEach(w -> w.tell(reply));
    waiters.clear();
  }

  private <Req, Res> CompletionStage<Res> ask(RecipientRef<Req> target,
      org.apache.pekko.japi.function.Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message, settings.askTimeout(), ctx.getSystem().scheduler());
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> reject(ActorRef<Reply> replyTo, Rejection r) {
    return Effect().reply(replyTo, new Rejected(r));
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> replyNotFound(Command cmd) {
    ActorRef<Reply> replyTo = replyToOf(cmd);
    if (replyTo == null) return Effect().noReply();
    return reject(replyTo, Rejection.notFound("load balancer " + lbId + " not found"));
  }

  private static Optional<Rejection> checkVersion(Long expected, long actual, String what) {
    if (expected == null || expected == actual) return Optional.empty();
    return Optional.of(Rejection.aborted("expected_version: " + what + " is at version " + actual + ", not " + expected
        + "; read it again and retry"));
  }

  private static Caller callerOf(Command cmd) {
    return cmd instanceof UserCommand u ? u.caller() : null;
  }

  private static ActorRef<Reply> replyToOf(Command cmd) {
    return cmd instanceof UserCommand u ? u.replyTo() : null;
  }

}
