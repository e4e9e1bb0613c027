package io.fiberlb.audit;

import static io.fiberlb.api.ControlPlaneGateway.guard;
import static io.fiberlb.api.ControlPlaneGateway.id;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.ControlPlaneGateway;
import io.fiberlb.api.Errors;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.AuditServicePowerApi;
import io.fiberlb.api.v1.DiffLoadBalancerRequest;
import io.fiberlb.api.v1.DiffLoadBalancerResponse;
import io.fiberlb.api.v1.GetLoadBalancerAtRequest;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.ListEventsResponse;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.StreamEventsRequest;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.EventMeta;
import io.grpc.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * AuditService: a load balancer's history straight from the journal (read journal queries), replayed through the
 * entity's own event handler. Works the same for deleted load balancers: their events are never purged.
 */
public final class AuditServiceImpl implements AuditServicePowerApi {
  private final ActorSystem<?> system;
  private final JdbcReadJournal journal;
  private final ControlPlaneGateway gw;
  private final ObjectMapper mapper;

  public AuditServiceImpl(ActorSystem<?> system, ControlPlaneGateway gw) {
    this.system = system;
    this.gw = gw;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.mapper = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
  }

  private static String pid(String lbId) {
    return LoadBalancerEntity.TYPE_KEY.name() + "|" + lbId;
  }

  // ------------------------------------------------------------------ replay

  /**
   * Folds a load balancer's events in order through the entity's event handler. Answers NOT_FOUND, exactly as
   * Get does, when there is no such load balancer or it belongs to another project.
   */
  private final class Replay {
    final Caller caller;
    final String lbId;
    LoadBalancerState state = new LoadBalancerState.NotCreated(0);
    long sequenceNr;
    boolean owned;

    Replay(Caller caller, String lbId) {
      this.caller = caller;
      this.lbId = lbId;
    }

    /** Applies one event; returns it with its place in history. */
    Step apply(EventEnvelope env) {
      var event = (LoadBalancerEvent) env.event();
      if (env.sequenceNr() == 1) {
        owned = event instanceof LoadBalancerEvent.CreationStarted s && caller.owns(s.info());
      }
      if (!owned) throw notFound(lbId);
      state = state.apply(event);
      sequenceNr = env.sequenceNr();
      return new Step(env.sequenceNr(), event, History.version(state));
    }
  }

  private record Step(long sequenceNr, LoadBalancerEvent event, long version) {}

  private static GrpcServiceException notFound(String lbId) {
    return new GrpcServiceException(Status.NOT_FOUND.withDescription("load balancer " + lbId + " not found"));
  }

  private AuditEvent toWire(String lbId, long offset, long sequenceNr, long version, LoadBalancerEvent e) {
    EventMeta m = e.meta();
    String details;
    try {
      details = mapper.writeValueAsString(e);
    } catch (Exception ex) {
      details = "{}";
    }
    return AuditEvent.newBuilder().setOffset(offset).setLoadBalancerId(lbId).setSequenceNr(sequenceNr)
        .setVersion(version).setType(History.type(e)).setTime(ts(m.at())).setActor(m.actor()).setPeer(m.peer())
        .setRequestId(m.requestId()).setCommand(m.command()).setReason(m.reason())
        .setResourceKind(History.resourceKind(e)).setResourceId(History.resourceId(e, lbId)).setDetailsJson(details)
        .build();
  }

  /** Runs the whole journal of one load balancer through a fold; NOT_FOUND when it has none. */
  private <A> CompletionStage<A> fold(Caller caller, String lbId, A zero, FoldStep<A> step) {
    Replay replay = new Replay(caller, lbId);
    return journal.currentEventsByPersistenceId(pid(lbId), 0, Long.MAX_VALUE)
        .runFold(zero, (acc, env) -> step.apply(acc, replay, replay.apply(env)), system)
        .thenApplyAsync(acc -> {
          if (replay.sequenceNr == 0) throw notFound(lbId);
          return acc;
        }, gw.executor());
  }

  @FunctionalInterface
  private interface FoldStep<A> {
    A apply(A acc, Replay replay, Step step);
  }

  // ------------------------------------------------------------------ RPCs

  @Override
  public CompletionStage<ListEventsResponse> listEvents(ListEventsRequest in, Metadata md) {
    return guard(() -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      int size = ControlPlaneGateway.pageSize(in.getPageSize());
      long after = ControlPlaneGateway.decodeToken(in.getPageToken());
      if (in.getFromSequenceNr() < 0 || in.getToSequenceNr() < 0) {
        throw Errors.invalid("from_sequence_nr, to_sequence_nr: must be 0 (unbounded) or more");
      }
      Instant from = in.hasFromTime() ? instant(in.getFromTime()) : Instant.MIN;
      Instant to = in.hasToTime() ? instant(in.getToTime()) : Instant.MAX;
      if (from.isAfter(to)) throw Errors.invalid("from_time: must not be after to_time");
      Set<String> types = new HashSet<>(in.getEventTypesList());
      long toSeq = in.getToSequenceNr() == 0 ? Long.MAX_VALUE : in.getToSequenceNr();
      var page = new ArrayList<AuditEvent>();
      long[] next = {0};
      return fold(caller, lbId, page, (acc, replay, step) -> {
        EventMeta m = step.event().meta();
        boolean wanted = step.sequenceNr() > after && step.sequenceNr() >= in.getFromSequenceNr()
            && step.sequenceNr() <= toSeq && !m.at().isBefore(from) && !m.at().isAfter(to)
            && (types.isEmpty() || types.contains(History.type(step.event())))
            && (in.getActor().isEmpty() || in.getActor().equals(m.actor()));
        if (wanted) {
          if (acc.size() == size) {
            if (next[0] == 0) next[0] = acc.get(acc.size() - 1).getSequenceNr();
          } else {
            acc.add(toWire(lbId, step.sequenceNr(), step.sequenceNr(), step.version(), step.event()));
          }
        }
        return acc;
      }).thenApply(events -> ListEventsResponse.newBuilder().addAllEvents(events)
          .setNextPageToken(ControlPlaneGateway.encodeToken(next[0])).build());
    });
  }

  @Override
  public Source<AuditEvent, NotUsed> streamEvents(StreamEventsRequest in, Metadata md) {
    try {
      Caller caller = gw.caller(md, "");
      if (in.getFromOffset() < 0) throw Errors.invalid("from_offset: must be 0 (from the beginning) or more");
      Instant from = in.hasFromTime() ? instant(in.getFromTime()) : Instant.MIN;
      if (in.getLoadBalancerId().isEmpty()) return projectStream(caller, in, from);
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      // Check the owner before following: a stream of someone else's (or no) load balancer never opens.
      return journal.currentEventsByPersistenceId(pid(lbId), 1, 1)
          .map(first -> first.event() instanceof LoadBalancerEvent.CreationStarted s && caller.owns(s.info()))
          .fold(false, (seen, mine) -> mine)
          .flatMapConcat(mine -> {
            if (!mine) throw notFound(lbId);
            Source<EventEnvelope, NotUsed> events = in.getFollow()
                ? journal.eventsByPersistenceId(pid(lbId), 1, Long.MAX_VALUE)
                : journal.currentEventsByPersistenceId(pid(lbId), 1, Long.MAX_VALUE);
            return events.statefulMapConcat(() -> {
              Replay replay = new Replay(caller, lbId);
              return env -> {
                Step step = replay.apply(env);
                boolean wanted = step.sequenceNr() > in.getFromOffset() && !step.event().meta().at().isBefore(from);
                return wanted ? List.of(toWire(lbId, step.sequenceNr(), step.sequenceNr(), step.version(), step.event()))
                    : List.<AuditEvent>of();
              };
            });
          });
    } catch (RuntimeException e) {
      return Source.failed(Errors.translate(e, "the audit service"));
    }
  }

  /** A project's events across all its load balancers, by the project tag, in journal order. */
  private Source<AuditEvent, NotUsed> projectStream(Caller caller, StreamEventsRequest in, Instant from) {
    String tag = LoadBalancerEntity.projectTag(caller.orgId(), caller.projectId());
    Offset offset = Offset.sequence(in.getFromOffset());
    Source<EventEnvelope, NotUsed> events = in.getFollow() ? journal.eventsByTag(tag, offset)
        : journal.currentEventsByTag(tag, offset);
    String prefix = LoadBalancerEntity.TYPE_KEY.name() + "|";
    return events.filter(env -> !((LoadBalancerEvent) env.event()).meta().at().isBefore(from))
        .map(env -> toWire(env.persistenceId().substring(prefix.length()), ((Sequence) env.offset()).value(),
            env.sequenceNr(), 0, (LoadBalancerEvent) env.event()));
  }

  @Override
  public CompletionStage<LoadBalancerSnapshot> getLoadBalancerAt(GetLoadBalancerAtRequest in, Metadata md) {
    return guard(() -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("id", in.getId());
      Function<Replay, Boolean> reached = until(in.getAt(), "at");
      return at(caller, lbId, in.getAt(), "at", reached);
    });
  }

  @Override
  public CompletionStage<DiffLoadBalancerResponse> diffLoadBalancer(DiffLoadBalancerRequest in, Metadata md) {
    return guard(() -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("id", in.getId());
      var fromStage = at(caller, lbId, in.getFrom(), "from", until(in.getFrom(), "from"));
      var toStage = at(caller, lbId, in.getTo(), "to", until(in.getTo(), "to"));
      return fromStage.thenCombine(toStage, (a, b) -> DiffLoadBalancerResponse.newBuilder()
          .setFromVersion(a.getLoadBalancer().getVersion()).setToVersion(b.getLoadBalancer().getVersion())
          .addAllChanges(History.diff(a, b)).build());
    });
  }

  /**
   * Whether the replay has passed the point: the next event would be after it. Version N is the state after the
   * last event that left the tree at N; time T the state after the last event at or before T.
   */
  private static Function<Replay, Boolean> until(PointInTime p, String field) {
    if (p.hasVersion()) {
      if (p.getVersion() < 1) throw Errors.invalid(field + ".version: must be 1 or more, got " + p.getVersion());
      return r -> History.version(r.state) > p.getVersion();
    }
    return r -> false;
  }

  /** The snapshot at a point; events after it are read but not applied. */
  private CompletionStage<LoadBalancerSnapshot> at(Caller caller, String lbId, PointInTime p, String field,
      Function<Replay, Boolean> passed) {
    Instant time = p.hasTime() ? instant(p.getTime()) : Instant.MAX;
    class Acc {
      LoadBalancerState state = new LoadBalancerState.NotCreated(0);
      long seq;
      long latest;
      boolean done;
    }
    return fold(caller, lbId, new Acc(), (acc, replay, step) -> {
      acc.latest = Math.max(acc.latest, step.version());
      if (acc.done || step.event().meta().at().isAfter(time) || passed.apply(replay)) {
        acc.done = true;
      } else {
        acc.state = replay.state;
        acc.seq = step.sequenceNr();
      }
      return acc;
    }).thenApply(acc -> {
      if (p.hasVersion() && p.getVersion() > acc.latest) {
        throw Errors.invalid(field + ".version: load balancer " + lbId + " has versions 1.." + acc.latest + ", got "
            + p.getVersion());
      }
      if (History.version(acc.state) == 0) {
        throw new GrpcServiceException(Status.NOT_FOUND.withDescription("load balancer " + lbId
            + " did not exist yet at " + (p.hasTime() ? instant(p.getTime()) : "that point")));
      }
      return History.snapshot(acc.state, acc.seq);
    });
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  private static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
