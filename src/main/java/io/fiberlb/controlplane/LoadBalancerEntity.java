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
    extends EventSourcedBehaviorWithEnforcedReplies<LoadBalancerEntity.Command, LoadBalancerEvent, LoadBalancerState> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "LoadBalancer");

  // ------------------------------------------------------------------ protocol

  public sealed interface Command extends CborSerializable {}

  /** A command from an API caller: it says who is asking and where the answer goes. */
  public sealed interface UserCommand extends Command {
    Caller caller();

    ActorRef<Reply> replyTo();
  }

  /**
   * A command that journals something when it succeeds: refused at once while the journal is unreachable. With
   * {@code validateOnly} (AIP-163's validate_only) it journals nothing and has no effect anywhere: it is decided by
   * the same rules and answered with a {@link DryRunReply} of what it would produce.
   */
  public sealed interface WriteCommand extends UserCommand {
    boolean validateOnly();
  }

  /** @param requestHash a digest of the request's body (null when not known): a repeat with another is refused */
  public record CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo, String requestHash,
      boolean validateOnly) implements WriteCommand {
    public CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo, String requestHash) {
      this(caller, spec, replyTo, requestHash, false);
    }

    public CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo) {
      this(caller, spec, replyTo, null, false);
    }
  }

  public record GetLoadBalancer(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  public record GetStatus(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  public record UpdateLoadBalancer(Caller caller, LoadBalancerPatch patch, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public UpdateLoadBalancer(Caller caller, LoadBalancerPatch patch, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, patch, expectedVersion, replyTo, false);
    }
  }

  public record DeleteLoadBalancer(Caller caller, boolean cascade, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public DeleteLoadBalancer(Caller caller, boolean cascade, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, cascade, expectedVersion, replyTo, false);
    }
  }

  /**
   * @param poolId the parent pool of a backend; empty for other kinds
   * @param requestId the client's idempotency key, or empty
   * @param requestHash a digest of the request's body (null when not known): a repeat with another is refused
   */
  public record CreateChild(Caller caller, String poolId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo,
      String requestHash, boolean validateOnly) implements WriteCommand {
    public CreateChild(Caller caller, String poolId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo,
        String requestHash) {
      this(caller, poolId, patch, requestId, replyTo, requestHash, false);
    }

    public CreateChild(Caller caller, String poolId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo) {
      this(caller, poolId, patch, requestId, replyTo, null, false);
    }
  }

  public record GetChild(Caller caller, Kind kind, String id, ActorRef<Reply> replyTo) implements UserCommand {}

  /** @param poolId only backends of this pool, when not empty */
  public record ListChildren(Caller caller, Kind kind, String poolId, long after, int limit, ActorRef<Reply> replyTo)
      implements UserCommand {}

  public record UpdateChild(Caller caller, Kind kind, String id, ChildPatch patch, Long expectedVersion,
      ActorRef<Reply> replyTo, boolean validateOnly) implements WriteCommand {
    public UpdateChild(Caller caller, Kind kind, String id, ChildPatch patch, Long expectedVersion,
        ActorRef<Reply> replyTo) {
      this(caller, kind, id, patch, expectedVersion, replyTo, false);
    }
  }

  public record DeleteChild(Caller caller, Kind kind, String id, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public DeleteChild(Caller caller, Kind kind, String id, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, kind, id, expectedVersion, replyTo, false);
    }
  }

  /**
   * Bring the load balancer back to {@code target}, its state at {@code toVersion} as the journal holds it (the API
   * rebuilds it there); checked here against today (see {@link Rollback#plan}). On a deleted load balancer this is
   * a restore: its VIP is taken again, or any free one with {@code newVip}. {@code dryRun}: the answer only.
   *
   * @param command the API command, for the event's record: RollbackLoadBalancer or RestoreLoadBalancer
   */
  public record RollBack(Caller caller, String command, long toVersion, LoadBalancerState.Active target,
      Long expectedVersion, boolean dryRun, boolean newVip, ActorRef<Reply> replyTo) implements WriteCommand {
    @Override
    public boolean validateOnly() {
      return dryRun;
    }
  }

  /** The message the shard sends to stop this entity (passivation, rebalance). */
  public record Stop(String reason) implements Command {
    @JsonCreator
    public Stop {}
  }

  /** Sent through sharding to wake an entity that has an unfinished create or delete. */
  public record Resume(String reason) implements Command {
    @JsonCreator
    public Resume {}
  }

  /** Live traffic counters of this load balancer, from the node that runs it. */
  public record GetStats(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  private record StepsDone(String vip, String vipPool, Rejection rejection, String failure) implements Command {}

  private record CompensationDone(String failure) implements Command {}

  private record CleanupDone(String failure) implements Command {}

  /** @param vip the VIP a restore's steps took (empty otherwise) */
  private record CheckDone(Rejection rejection, String failure, String vip) implements Command {}

  private record Retry(String why) implements Command {}

  private record Idle(long at) implements Command {}

  /** A report of this load balancer's data plane (bind errors, health transitions), through a message adapter. */
  private record FromDataPlane(DataPlaneReport report) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = LoadBalancerReply.class, name = "lb"),
    @JsonSubTypes.Type(value = ChildReply.class, name = "child"),
    @JsonSubTypes.Type(value = ChildrenReply.class, name = "children"),
    @JsonSubTypes.Type(value = StatusReply.class, name = "status"),
    @JsonSubTypes.Type(value = DeletedReply.class, name = "deleted"),
    @JsonSubTypes.Type(value = Rejected.class, name = "rejected"),
    @JsonSubTypes.Type(value = StatsReply.class, name = "stats"),
    @JsonSubTypes.Type(value = RolledBackReply.class, name = "rolled-back"),
    @JsonSubTypes.Type(value = DryRunReply.class, name = "dry-run")
  })
  public sealed interface Reply extends CborSerializable {}

  public record LoadBalancerReply(LoadBalancerView lb) implements Reply {
    @JsonCreator
    public LoadBalancerReply {}
  }

  public record ChildReply(ChildView child) implements Reply {
    @JsonCreator
    public ChildReply {}
  }

  /** @param next the {@code after} of the next page, 0 when this is the last */
  public record ChildrenReply(List<ChildView> items, long next) implements Reply {}

  /** @param node the cluster node this load balancer runs on (its address) */
  public record StatusReply(LoadBalancerView lb, List<ChildView> children, String node) implements Reply {}

  /** @param version the tree version after the delete */
  public record DeletedReply(long version) implements Reply {
    @JsonCreator
    public DeletedReply {}
  }

  public record Rejected(Rejection rejection) implements Reply {
    @JsonCreator
    public Rejected {}
  }

  /**
   * A rollback or restore done (or, on a dry run, what it would do).
   *
   * @param before the state it started from (live or deleted)
   * @param after the state it left (or would leave); equal to {@code before} when there was nothing to change
   */
  /** @param stats the data plane's counters when it was planned, for the open connections it drains or cuts */
  public record RolledBackReply(LoadBalancerState before, LoadBalancerState.Active after, boolean dryRun,
      StatsSnapshot stats) implements Reply {}

  /** Live traffic counters, from the node that serves the load balancer. */
  public record StatsReply(StatsSnapshot stats) implements Reply {
    @JsonCreator
    public StatsReply {}
  }

  /**
   * What a write asked with {@code validateOnly} would produce; nothing was journaled or changed.
   *
   * @param before the load balancer as it is (no {@code lb} when it does not exist yet)
   * @param after as the write would leave it, at the version it would have
   * @param reply what the write itself would answer
   * @param disruption the traffic it would move and the open connections it would drain or cut
   */
  public record DryRunReply(Views.TreeView before, Views.TreeView after, Reply reply, Disruption disruption)
      implements Reply {}

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
  private final DataPlanePort dataPlane;
  /** Where the data plane's reports come in; null without a data plane. */
  private final ActorRef<DataPlaneReport> reports;
  private ActorRef<RuntimeCommand> runtime;
  /** What the runtime was last told to run, so that a change that leaves it equal is not sent again. */
  private DesiredLoadBalancer published;
  private RuntimeCommand.Names publishedNames;
  /** What the data plane last reported of listeners that cannot serve, by listener id. Not journaled. */
  private final java.util.Map<String, String> listenerErrors = new java.util.HashMap<>();
  /**
   * Listeners the runtime was told to bind (new, enabled again, or on another port) whose outcome it has not
   * reported yet: PENDING_CREATE or PENDING_UPDATE until it does, so that a client can wait for the outcome
   * (fiberlb --wait). Not journaled.
   */
  private final java.util.Map<String, io.fiberlb.controlplane.model.Enums.ProvisioningStatus> binding =
      new java.util.HashMap<>();

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
    this.dataPlane = dataPlane;
    this.reports = dataPlane == null ? null : ctx.messageAdapter(DataPlaneReport.class, FromDataPlane::new);
    // Before recovery: the runtime serves what it served last meanwhile (fiberlb.dataplane.serve-before-recovery);
    // recovery then publishes the journal's configuration to it, or removes it.
    if (dataPlane != null) runtime = ctx.spawn(dataPlane.runtime(lbId, reports), "runtime");
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
    if (!c.poolId().isEmpty() && s.find(Kind.POOL, c.poolId()).isEmpty()) {
      return reject(c.replyTo(), Rejection.notFound("pool_id: no pool " + c.poolId() + " in load balancer " + lbId));
    }
    var items = new ArrayList<ChildView>();
    long next = 0;
    for (Child ch : s.children().values()) {
      if (ch.kind() != c.kind() || ch.createdVersion() <= c.after()) continue;
      if (!c.poolId().isEmpty() && !((Backend) ch).poolId().equals(c.poolId())) continue;
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
   * {@link #onHealthTransition}.
   */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<LoadBalancerEvent, LoadBalancerState> persist(
      LoadBalancerEvent event) {
    return Effect().persist(event).thenRun(this::publish);
  }

  private void publish(LoadBalancerState state) {
    if (dataPlane == null) return;
    if (!(state instanceof Active a)) {
      if (runtime == null) return;
      runtime.tell(new RuntimeCommand.Remove()); // it stops itself and its listeners drain
      runtime = null;
      published = null;
      publishedNames = null;
      listenerErrors.clear();
      binding.clear();
      return;
    }
    DesiredLoadBalancer desired = DesiredStates.of(a);
    if (runtime == null) {
      // A restore can follow a delete before the removed runtime has stopped and given its name back.
      runtime = ctx.getChild("runtime").isPresent() ? ctx.spawnAnonymous(dataPlane.runtime(lbId, reports))
          : ctx.spawn(dataPlane.runtime(lbId, reports), "runtime");
    }
    // Descriptions, tags, health verdicts: nothing the running data plane needs. Names only label its metrics.
    if (!desired.sameConfiguration(published)) {
      noteBinds(published, desired);
      runtime.tell(new RuntimeCommand.Apply(desired));
      published = desired;
    }
    RuntimeCommand.Names names = DesiredStates.names(a);
    if (!names.equals(publishedNames)) {
      runtime.tell(names);
      publishedNames = names;
    }
  }

  /**
   * Which listeners the runtime will (re)bind for {@code next}: each reports its outcome once it has one (bound,
   * or why not), and is pending until then. The same rule as the runtime's: enabled and not yet running, or
   * running on another port or protocol.
   */
  private void noteBinds(DesiredLoadBalancer before, DesiredLoadBalancer next) {
    var was = new java.util.HashMap<String, io.fiberlb.port.DesiredListener>();
    if (before != null && before.adminStateUp()) {
      before.listeners().stream().filter(io.fiberlb.port.DesiredListener::adminStateUp).forEach(l -> was.put(l.id(), l));
    }
    var now = new java.util.HashSet<String>();
    for (var l : next.listeners()) {
      if (!next.adminStateUp() || !l.adminStateUp()) continue;
      now.add(l.id());
      var old = was.get(l.id());
      if (old == null || old.protocolPort() != l.protocolPort() || old.protocol() != l.protocol()) {
        boolean known = before != null && before.listeners().stream().anyMatch(o -> o.id().equals(l.id()));
        binding.put(l.id(), known ? io.fiberlb.controlplane.model.Enums.ProvisioningStatus.PENDING_UPDATE
            : io.fiberlb.controlplane.model.Enums.ProvisioningStatus.PENDING_CREATE);
      }
    }
    binding.keySet().retainAll(now);
  }

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onDataPlaneReport(LoadBalancerState state,
      DataPlaneReport report) {
    if (report instanceof DataPlaneReport.HealthTransition t) return onHealthTransition(state, t);
    var l = (DataPlaneReport.ListenerStatus) report;
    if (l.error().isEmpty()) listenerErrors.remove(l.listenerId());
    else listenerErrors.put(l.listenerId(), l.error());
    binding.remove(l.listenerId());
    return Effect().noReply();
  }

  /**
   * Journals a backend's new verdict, and publishes nothing: the runtime applied the transition itself before it
   * reported it, and health is not configuration, so a flapping backend never makes the data plane diff anything.
   */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> onHealthTransition(LoadBalancerState state,
      DataPlaneReport.HealthTransition r) {
    if (!(state instanceof Active a) || !(a.children().get(r.backendId()) instanceof Backend)) return Effect().noReply();
    LoadBalancerState.Health known = a.health().get(r.backendId());
    boolean knownUp = known == null || known.up();
    if (knownUp == r.up()) return Effect().noReply();
    var meta = EventMeta.system("", "HealthCheck", "backend " + r.backendId() + (r.up() ? " up: " : " down: ") + r.reason());
    return Effect().persist(new LoadBalancerEvent.BackendHealthChanged(r.backendId(), r.up(), r.reason(), meta))
        .thenNoReply();
  }

  private String node() {
    return ctx.getSystem().address().toString();
  }

  private StatsReply stats() {
    return new StatsReply(dataPlane == null ? StatsSnapshot.none() : dataPlane.stats(lbId));
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
