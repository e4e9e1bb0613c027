package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerEvent.ChildDeleted;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Creating;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.LoadBalancerState.NotCreated;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.port.DataPlanePort;
import io.fiberlb.port.DataPlaneReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
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
    implements LoadBalancerProtocol, LifecycleSagas.Host {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "LoadBalancer");


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
  private String projectTag = "";


  private final LifecycleSagas sagas;
  private final CheckedWrites checked;

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
    this.sagas = new LifecycleSagas(lbId, ctx, timers, directory, settings, bridge, this, Effect());
    this.checked = new CheckedWrites(lbId, ctx, directory, settings, bridge, this, Effect());
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
      sagas.resume(c);
    } else if (state instanceof Deleted d) {
      if (d.cleanedUp()) {
        checked.releaseLeftovers(d.info());
        scheduleIdle(); // not at once: it may have been woken to be restored
      } else {
        sagas.resume(d);
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
    if (LifecycleSagas.owns(cmd)) return sagas.handle(state, cmd);
    if (cmd instanceof CheckedWrites.CheckDone d) return checked.onCheckDone(state, d);
    if (cmd instanceof FromDataPlane r) return onDataPlaneReport(state, r.report());
    if (cmd instanceof Resume) return Effect().noReply();
    if (cmd instanceof Idle) {
      boolean holdsNothing = state instanceof NotCreated || (state instanceof Deleted d && d.cleanedUp());
      if (holdsNothing && checked.idle() && sagas.nobodyWaits()) passivate.run();
      return Effect().noReply();
    }
    if (!checked.idle()) return Effect().stash();
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
      sagas.await(c.replyTo());
      return Effect().noReply();
    }
    if (cmd instanceof GetLoadBalancer c) return Effect().reply(c.replyTo(), new LoadBalancerReply(s.view()));
    if (cmd instanceof GetStatus c) return Effect().reply(c.replyTo(), new StatusReply(s.view(), List.of(), node()));
    // Everything else waits until the load balancer exists (or has failed to).
    return Effect().stash();
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
    if (cmd instanceof RollBack c) return checked.rollBack(s, c);
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

  // ------------------------------------------------------------------ deleted

  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> deleted(Deleted s, Command cmd) {
    Caller caller = callerOf(cmd);
    if (cmd instanceof DeleteLoadBalancer c && caller.owns(s.info()) && !s.cleanedUp()) {
      if (c.validateOnly()) return carryOut(s, Decision.answer(new DeletedReply(s.version())), c);
      sagas.await(c.replyTo());
      return Effect().noReply();
    }
    if (cmd instanceof CreateLoadBalancer c && caller.owns(s.info())) {
      return reject(c.replyTo(), Rejection.precondition("request_id: already used to create load balancer " + lbId
          + ", which has since been deleted; use a new request_id"));
    }
    if (cmd instanceof RollBack c && caller.owns(s.info())) return checked.restore(s, c);
    return replyNotFound(cmd);
  }

  // ------------------------------------------------------------------ data plane

  /**
   * Every persisted change of configuration goes through here, so replay (onRecovered) and live changes reach the
   * data plane by one path: it is handed what should run and converges on it. Health transitions do not: see
   * {@link DataPlaneBridge#report}.
   */
  @Override
  public org.apache.pekko.persistence.typed.javadsl.EffectBuilder<LoadBalancerEvent, LoadBalancerState> persist(
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
          .thenRun((Creating created) -> sagas.started(created, c.replyTo()))
          .thenNoReply();
    }
    if (event instanceof LoadBalancerEvent.Deleted) {
      return persist(event)
          .thenRun((Deleted deleted) -> sagas.deleted(deleted, c.replyTo()))
          .thenNoReply();
    }
    if (w.project() != null) {
      LoadBalancerInfo info = ((Active) s).info();
      return checked.checkThenPersist(ask(directory.project(info.orgId(), info.projectId()), r -> w.project().take(lbId, r)),
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

  /** A write's dry run ({@link DryRuns#answer}): answered off the actor; nothing persisted, nothing told. */
  private ReplyEffect<LoadBalancerEvent, LoadBalancerState> dryRun(LoadBalancerState s, Decision d, WriteCommand c) {
    ActorRef<Reply> replyTo = c.replyTo();
    DryRuns.answer(lbId, s, d, c, bridge.stats(), Map.copyOf(listenerErrors), directory, settings, ctx.getSystem(),
            ctx.getExecutionContext())
        .whenComplete((reply, err) -> replyTo.tell(reply != null ? reply : new Rejected(DryRuns.rejection(err))));
    return Effect().noReply();
  }

  // ------------------------------------------------------------------ shared machinery

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

  @Override
  public void scheduleIdle() {
    timers.startSingleTimer("idle", new Idle(System.currentTimeMillis()), settings.idlePassivation());
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


  private static Caller callerOf(Command cmd) {
    return cmd instanceof UserCommand u ? u.caller() : null;
  }

  private static ActorRef<Reply> replyToOf(Command cmd) {
    return cmd instanceof UserCommand u ? u.replyTo() : null;
  }

}
