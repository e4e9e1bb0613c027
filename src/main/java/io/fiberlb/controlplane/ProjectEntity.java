package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The directory of one (org, project): which load balancers it has (in creation order, for List), their names
 * (unique per project) and how many children each holds, and the project's quota: the limits set for it over the
 * server's defaults ({@link ProjectQuota}). Every directory command is idempotent per load balancer id, so the load
 * balancer entity can repeat a step after a crash without harm; a quota change that changes nothing journals
 * nothing.
 */
public final class ProjectEntity
    extends EventSourcedBehaviorWithEnforcedReplies<ProjectEntity.Command, ProjectEntity.Event, ProjectEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Project");

  public static String entityId(String orgId, String projectId) {
    return orgId + "/" + projectId;
  }

  // ------------------------------------------------------------------ protocol

  public sealed interface Command extends CborSerializable {}

  /** Add a load balancer under a name: refused if the name is taken or the load balancer quota is reached. */
  public record Register(String lbId, String name, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Would {@link Register} be accepted now? Changes nothing: the API asks it before it sends a create, so that a
   * name taken or a quota reached is refused before anything is journaled. The create's own Register decides.
   * Answers {@code Done} with the load balancer's position when it is registered already (a create repeated with
   * its request id), else with 0.
   */
  public record CheckRegister(String lbId, String name, ActorRef<Reply> replyTo) implements Command {}

  public record Rename(String lbId, String name, ActorRef<Reply> replyTo) implements Command {}

  public record Unregister(String lbId, ActorRef<Reply> replyTo) implements Command {}

  /** Refused if the project's totals with this load balancer at {@code usage} would pass a quota. */
  public record ReserveUsage(String lbId, Usage usage, ActorRef<Reply> replyTo) implements Command {}

  /** Would {@link ReserveUsage} be accepted now? Changes nothing: a write's dry run asks it. */
  public record CheckUsage(String lbId, Usage usage, ActorRef<Reply> replyTo) implements Command {}

  /** Would {@link Rename} be accepted now? Changes nothing: a write's dry run asks it. */
  public record CheckRename(String lbId, String name, ActorRef<Reply> replyTo) implements Command {}

  /**
   * A load balancer's actual name and usage, sent after deletes and after it recovers: heals what a crash between
   * a reservation here and the load balancer's own event left behind. Never refused.
   */
  public record Sync(String lbId, String name, Usage usage, ActorRef<Reply> replyTo) implements Command {}

  /**
   * A rollback or a restore: the load balancer takes {@code name} and holds {@code usage}, and is registered again
   * (at the end of the list) if it was deleted. Refused, with nothing changed, when another load balancer of the
   * project now holds the name (FAILED_PRECONDITION) or a quota would be passed. {@code dryRun}: only the answer.
   */
  public record Adopt(String lbId, String name, Usage usage, boolean dryRun, ActorRef<Reply> replyTo)
      implements Command {}

  /** Load balancer ids in creation order after position {@code after}. */
  public record ListLoadBalancers(long after, int limit, ActorRef<Reply> replyTo) implements Command {}

  /** The project's quota: answers {@link QuotaView}. */
  public record GetQuota(ActorRef<Reply> replyTo) implements Command {
    @JsonCreator
    public GetQuota {}
  }

  /** Sets the limits {@code change} gives (the others stay); answers {@link QuotaView} or {@link Refused}. */
  public record SetQuota(QuotaOverrides change, Caller caller, boolean validateOnly, ActorRef<Reply> replyTo)
      implements Command {}

  /** Every limit back to the default; answers {@link QuotaView}. */
  public record ResetQuota(Caller caller, boolean validateOnly, ActorRef<Reply> replyTo) implements Command {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Done.class, name = "done"),
    @JsonSubTypes.Type(value = Refused.class, name = "refused"),
    @JsonSubTypes.Type(value = Page.class, name = "page"),
    @JsonSubTypes.Type(value = QuotaView.class, name = "quota")
  })
  public sealed interface Reply extends CborSerializable {}

  public record Done(long at) implements Reply {
    @JsonCreator
    public Done {}
  }

  public record Refused(Rejection rejection) implements Reply {
    @JsonCreator
    public Refused {}
  }

  /** @param next position to pass as {@code after} for the next page; 0 when this is the last page */
  public record Page(List<String> lbIds, long next) implements Reply {}

  /**
   * A project's quota as the API shows it.
   *
   * @param inUse what the project holds: its load balancers, and their children
   */
  public record QuotaView(Quotas defaults, QuotaOverrides overrides, int loadBalancersInUse, Usage inUse,
      List<ProjectQuota.Change> changes) implements Reply {
    public Quotas effective() {
      return overrides.over(defaults);
    }
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Registered.class, name = "Registered"),
    @JsonSubTypes.Type(value = Renamed.class, name = "Renamed"),
    @JsonSubTypes.Type(value = Unregistered.class, name = "Unregistered"),
    @JsonSubTypes.Type(value = UsageRecorded.class, name = "UsageRecorded"),
    @JsonSubTypes.Type(value = QuotaSet.class, name = "QuotaSet"),
    @JsonSubTypes.Type(value = QuotaReset.class, name = "QuotaReset")
  })
  public sealed interface Event extends CborSerializable {}

  public record Registered(String lbId, String name, long position) implements Event {}

  public record Renamed(String lbId, String name) implements Event {}

  public record Unregistered(String lbId) implements Event {
    @JsonCreator
    public Unregistered {}
  }

  public record UsageRecorded(String lbId, Usage usage) implements Event {}

  /** An admin set these limits for the project (the others kept their value). */
  public record QuotaSet(QuotaOverrides set, EventMeta meta) implements Event {}

  /** An admin put every limit of the project back to the server's default. */
  public record QuotaReset(EventMeta meta) implements Event {
    @JsonCreator
    public QuotaReset {}
  }

  public record Entry(String name, long position, Usage usage) implements CborSerializable {}

  /**
   * @param entries by load balancer id, in creation (position) order
   * @param quota absent in snapshots written before quotas could be set per project: read as none set
   */
  public record State(Map<String, Entry> entries, Map<String, String> names, long lastPosition, Usage total,
      ProjectQuota quota) implements CborSerializable {
    static final State EMPTY = new State(Map.of(), Map.of(), 0, Usage.NONE, ProjectQuota.NONE);

    public State {
      quota = quota == null ? ProjectQuota.NONE : quota;
    }

    State apply(Event event) {
      if (event instanceof QuotaSet e) return new State(entries, names, lastPosition, total, quota.set(e.set(), e.meta()));
      if (event instanceof QuotaReset e) return new State(entries, names, lastPosition, total, quota.reset(e.meta()));
      var es = new LinkedHashMap<>(entries);
      var ns = new LinkedHashMap<>(names);
      long last = lastPosition;
      Usage tot = total;
      if (event instanceof Registered e) {
        es.put(e.lbId(), new Entry(e.name(), e.position(), Usage.NONE));
        ns.put(e.name(), e.lbId());
        last = e.position();
      } else if (event instanceof Renamed e) {
        Entry old = es.get(e.lbId());
        ns.remove(old.name());
        ns.put(e.name(), e.lbId());
        es.put(e.lbId(), new Entry(e.name(), old.position(), old.usage()));
      } else if (event instanceof Unregistered e) {
        Entry old = es.remove(e.lbId());
        ns.remove(old.name());
        tot = tot.minus(old.usage());
      } else if (event instanceof UsageRecorded e) {
        Entry old = es.get(e.lbId());
        es.put(e.lbId(), new Entry(old.name(), old.position(), e.usage()));
        tot = tot.minus(old.usage()).plus(e.usage());
      }
      return new State(es, ns, last, tot, quota);
    }
  }

  // ------------------------------------------------------------------ behavior

  /** The server's defaults: what a project's limits are where none is set for it. */
  private final Quotas defaults;
  private final int snapshotEvery;

  public ProjectEntity(String entityId, Quotas defaults, int snapshotEvery) {
    super(PersistenceId.of(TYPE_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.defaults = defaults;
    this.snapshotEvery = snapshotEvery;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  private ReplyEffect<Event, State> onCommand(State s, Command cmd) {
    if (cmd instanceof Register c) return onRegister(s, c);
    if (cmd instanceof CheckRegister c) {
      Entry known = s.entries().get(c.lbId());
      Reply answer = registerProblem(s, c.lbId(), c.name()).<Reply>map(Refused::new)
          .orElseGet(() -> new Done(known == null ? 0 : known.position()));
      return Effect().reply(c.replyTo(), answer);
    }
    if (cmd instanceof Rename c) return onRename(s, c);
    if (cmd instanceof CheckRename c) {
      return Effect().reply(c.replyTo(), renameProblem(s, c.lbId(), c.name()).<Reply>map(Refused::new)
          .orElseGet(() -> new Done(0)));
    }
    if (cmd instanceof CheckUsage c) {
      return Effect().reply(c.replyTo(), usageProblem(s, c.lbId(), c.usage()).<Reply>map(Refused::new)
          .orElseGet(() -> new Done(0)));
    }
    if (cmd instanceof Unregister c) {
      if (!s.entries().containsKey(c.lbId())) return Effect().reply(c.replyTo(), new Done(0));
      return Effect().persist(new Unregistered(c.lbId())).thenReply(c.replyTo(), ns -> new Done(0));
    }
    if (cmd instanceof ReserveUsage c) return onReserve(s, c);
    if (cmd instanceof Sync c) return onSync(s, c);
    if (cmd instanceof Adopt c) return onAdopt(s, c);
    if (cmd instanceof ListLoadBalancers c) return Effect().reply(c.replyTo(), page(s, c.after(), c.limit()));
    if (cmd instanceof GetQuota c) return Effect().reply(c.replyTo(), quotaView(s));
    if (cmd instanceof SetQuota c) return onSetQuota(s, c);
    if (cmd instanceof ResetQuota c) {
      if (s.quota().overrides().isEmpty()) return Effect().reply(c.replyTo(), quotaView(s));
      var event = new QuotaReset(EventMeta.of(c.caller(), "ResetQuota"));
      if (c.validateOnly()) return Effect().reply(c.replyTo(), quotaView(s.apply(event))); // a dry run: not written
      return Effect().persist(event).thenReply(c.replyTo(), this::quotaView);
    }
    throw new IllegalArgumentException("unknown command " + cmd);
  }

  private ReplyEffect<Event, State> onRegister(State s, Register c) {
    Entry existing = s.entries().get(c.lbId());
    if (existing != null) return Effect().reply(c.replyTo(), new Done(existing.position()));
    Optional<Rejection> problem = registerProblem(s, c.lbId(), c.name());
    if (problem.isPresent()) return Effect().reply(c.replyTo(), new Refused(problem.get()));
    long position = s.lastPosition() + 1;
    return Effect().persist(new Registered(c.lbId(), c.name(), position)).thenReply(c.replyTo(), ns -> new Done(position));
  }

  /** Why {@code name} cannot be registered for {@code lbId} now, if it cannot. */
  private Optional<Rejection> registerProblem(State s, String lbId, String name) {
    if (s.entries().containsKey(lbId)) return Optional.empty();
    String holder = s.names().get(name);
    if (holder != null) {
      return Optional.of(Rejection.exists("load_balancer.name: '" + name + "' is already used by load balancer "
          + holder + " in this project"));
    }
    Quotas quotas = effective(s);
    if (!quotas.allowsLoadBalancers(s.entries().size() + 1)) {
      return Optional.of(Rejection.exhausted("quota: the project has " + s.entries().size()
          + " load balancers, its limit is " + quotas.loadBalancers() + " (quota load_balancers)"));
    }
    return Optional.empty();
  }

  private ReplyEffect<Event, State> onRename(State s, Rename c) {
    Optional<Rejection> problem = renameProblem(s, c.lbId(), c.name());
    if (problem.isPresent()) return Effect().reply(c.replyTo(), new Refused(problem.get()));
    Entry e = s.entries().get(c.lbId());
    if (e.name().equals(c.name())) return Effect().reply(c.replyTo(), new Done(e.position()));
    return Effect().persist(new Renamed(c.lbId(), c.name())).thenReply(c.replyTo(), ns -> new Done(e.position()));
  }

  /** Why load balancer {@code lbId} cannot be called {@code name} now, if it cannot. */
  private static Optional<Rejection> renameProblem(State s, String lbId, String name) {
    Entry e = s.entries().get(lbId);
    if (e == null) return Optional.of(Rejection.notFound("load balancer " + lbId));
    String holder = s.names().get(name);
    if (e.name().equals(name) || holder == null) return Optional.empty();
    return Optional.of(Rejection.exists("load_balancer.name: '" + name + "' is already used by load balancer "
        + holder + " in this project"));
  }

  private ReplyEffect<Event, State> onSync(State s, Sync c) {
    Entry e = s.entries().get(c.lbId());
    if (e == null) return Effect().reply(c.replyTo(), new Done(0));
    var events = new ArrayList<Event>();
    String holder = s.names().get(c.name());
    if (!e.name().equals(c.name()) && holder == null) events.add(new Renamed(c.lbId(), c.name()));
    if (!e.usage().equals(c.usage())) events.add(new UsageRecorded(c.lbId(), c.usage()));
    if (events.isEmpty()) return Effect().reply(c.replyTo(), new Done(e.position()));
    return Effect().persist(events).thenReply(c.replyTo(), ns -> new Done(e.position()));
  }

  private ReplyEffect<Event, State> onReserve(State s, ReserveUsage c) {
    Optional<Rejection> problem = usageProblem(s, c.lbId(), c.usage());
    if (problem.isPresent()) return Effect().reply(c.replyTo(), new Refused(problem.get()));
    Entry e = s.entries().get(c.lbId());
    if (c.usage().fitsWithin(e.usage())) return Effect().reply(c.replyTo(), new Done(e.position()));
    return Effect().persist(new UsageRecorded(c.lbId(), c.usage())).thenReply(c.replyTo(), ns -> new Done(e.position()));
  }

  /** Why load balancer {@code lbId} cannot hold {@code usage} now (a quota), if it cannot. */
  private Optional<Rejection> usageProblem(State s, String lbId, Usage usage) {
    Entry e = s.entries().get(lbId);
    if (e == null) return Optional.of(Rejection.notFound("load balancer " + lbId));
    if (usage.fitsWithin(e.usage())) return Optional.empty();
    Usage after = s.total().minus(e.usage()).plus(usage);
    return childProblem(effective(s), e.usage(), after, usage);
  }

  /**
   * The first count a load balancer going from {@code held} to {@code usage} takes past its limit, the project
   * holding {@code after} in all; only counts that grow are refused (a limit lowered below what is held removes
   * nothing and refuses nothing else).
   */
  static Optional<Rejection> childProblem(Quotas quotas, Usage held, Usage after, Usage usage) {
    Usage limits = quotas.childLimits();
    for (var kind : io.fiberlb.controlplane.model.Enums.Kind.values()) {
      if (after.of(kind) > limits.of(kind) && usage.of(kind) > held.of(kind)) {
        String noun = kind.noun();
        String nouns = noun.endsWith("y") ? noun.substring(0, noun.length() - 1) + "ies" : noun + "s";
        return Optional.of(Rejection.exhausted("quota: the project would have " + after.of(kind) + " " + nouns
            + ", its limit is " + limits.of(kind) + " (quota " + Usage.quotaName(kind) + ")"));
      }
    }
    return Optional.empty();
  }

  private ReplyEffect<Event, State> onAdopt(State s, Adopt c) {
    Entry e = s.entries().get(c.lbId());
    String holder = s.names().get(c.name());
    Optional<Rejection> problem = Optional.empty();
    Quotas quotas = effective(s);
    if (holder != null && !holder.equals(c.lbId())) {
      problem = Optional.of(Rejection.precondition("load_balancer.name: '" + c.name() + "' is now used by load balancer "
          + holder + " in this project; rename or delete that one first"));
    } else if (e == null && !quotas.allowsLoadBalancers(s.entries().size() + 1)) {
      problem = Optional.of(Rejection.exhausted("quota: the project has " + s.entries().size()
          + " load balancers, its limit is " + quotas.loadBalancers() + " (quota load_balancers)"));
    } else {
      Usage held = e == null ? Usage.NONE : e.usage();
      problem = childProblem(quotas, held, s.total().minus(held).plus(c.usage()), c.usage());
    }
    if (problem.isPresent()) return Effect().reply(c.replyTo(), new Refused(problem.get()));
    var events = new ArrayList<Event>();
    long position = e == null ? s.lastPosition() + 1 : e.position();
    if (e == null) events.add(new Registered(c.lbId(), c.name(), position));
    else if (!e.name().equals(c.name())) events.add(new Renamed(c.lbId(), c.name()));
    if (e == null || !e.usage().equals(c.usage())) events.add(new UsageRecorded(c.lbId(), c.usage()));
    if (c.dryRun() || events.isEmpty()) return Effect().reply(c.replyTo(), new Done(position));
    return Effect().persist(events).thenReply(c.replyTo(), ns -> new Done(position));
  }

  private Quotas effective(State s) {
    return s.quota().overrides().over(defaults);
  }

  private QuotaView quotaView(State s) {
    return new QuotaView(defaults, s.quota().overrides(), s.entries().size(), s.total(), s.quota().changes());
  }

  private ReplyEffect<Event, State> onSetQuota(State s, SetQuota c) {
    Optional<Rejection> problem = c.change().problem("quota.");
    if (problem.isPresent()) return Effect().reply(c.replyTo(), new Refused(problem.get()));
    QuotaOverrides now = s.quota().overrides();
    if (now.with(c.change()).equals(now)) return Effect().reply(c.replyTo(), quotaView(s)); // already so
    var event = new QuotaSet(c.change(), EventMeta.of(c.caller(), "SetQuota"));
    if (c.validateOnly()) return Effect().reply(c.replyTo(), quotaView(s.apply(event))); // a dry run: not written
    return Effect().persist(event).thenReply(c.replyTo(), this::quotaView);
  }

  private static Page page(State s, long after, int limit) {
    var ids = new ArrayList<String>();
    long next = 0;
    for (var en : s.entries().entrySet()) {
      if (en.getValue().position() <= after) continue;
      if (ids.size() == limit) {
        next = s.entries().get(ids.get(ids.size() - 1)).position();
        break;
      }
      ids.add(en.getKey());
    }
    return new Page(ids, next);
  }
}
