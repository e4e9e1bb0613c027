package io.fiberlb.api;

import static io.fiberlb.api.ControlPlaneGateway.guard;
import static io.fiberlb.api.ControlPlaneGateway.id;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.AuditServicePowerApi;
import io.fiberlb.api.v1.DiffLoadBalancerRequest;
import io.fiberlb.api.v1.DiffLoadBalancerResponse;
import io.fiberlb.api.v1.ExportChunk;
import io.fiberlb.api.v1.ExportEventsRequest;
import io.fiberlb.api.v1.GetLoadBalancerAtRequest;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.ListEventsResponse;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.StreamEventsRequest;
import io.fiberlb.audit.AuditJson;
import io.fiberlb.audit.AuditSettings;
import io.fiberlb.audit.History;
import io.fiberlb.audit.JournalReader;
import io.fiberlb.audit.JournalReader.Entry;
import io.fiberlb.audit.PastStates;
import io.fiberlb.audit.StoredEventJson;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.EventMeta;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
  /** One per thread: it keeps a buffer between events. */
  private final ThreadLocal<StoredEventJson> storedJson;
  private final JournalReader reader;
  private final PastStates pastStates;
  private final AuditSettings settings;

  public AuditServiceImpl(ActorSystem<?> system, ControlPlaneGateway gw, AuditSettings settings) {
    this.system = system;
    this.gw = gw;
    this.settings = settings;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.reader = new JournalReader(system, settings.pageSize());
    this.pastStates = new PastStates(reader, system);
    this.mapper = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    this.storedJson = ThreadLocal.withInitial(StoredEventJson::new);
  }

  /** The replay to any point this service answers from, for the services that act on history. */
  public PastStates pastStates() {
    return pastStates;
  }

  private static String pid(String lbId) {
    return PastStates.persistenceId(lbId);
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
    Step apply(Entry e) {
      var event = e.event();
      if (e.sequenceNr() == 1) owned = owns(caller, event);
      if (!owned) throw notFound(lbId);
      state = state.apply(event);
      sequenceNr = e.sequenceNr();
      return new Step(e.sequenceNr(), event, History.version(state), e.payload());
    }
  }

  /** Whether the caller's project created the load balancer whose first event this is (the rule Get follows). */
  private static boolean owns(Caller caller, LoadBalancerEvent first) {
    return first instanceof LoadBalancerEvent.CreationStarted s && caller.owns(s.info());
  }

  /** A live event from the read journal in the shape of a row read directly. */
  private static Entry entry(EventEnvelope env) {
    long ordering = env.offset() instanceof Sequence s ? s.value() : 0;
    return new Entry(ordering, env.persistenceId(), env.sequenceNr(), env.timestamp(), (LoadBalancerEvent) env.event(),
        null);
  }

  private record Step(long sequenceNr, LoadBalancerEvent event, long version, byte[] payload) {}

  private static GrpcServiceException notFound(String lbId) {
    return new GrpcServiceException(Status.NOT_FOUND.withDescription("load balancer " + lbId + " not found"));
  }

  /**
   * An event as the API shows it. {@code details_json} is the event as the journal holds it ({@link StoredEventJson})
   * when its bytes are at hand, else (a live event from the read journal) the decoded event written out, which for
   * an event this version wrote is the same text.
   */
  private AuditEvent toWire(String lbId, long offset, long sequenceNr, long version, LoadBalancerEvent e,
      byte[] payload) {
    EventMeta m = e.meta();
    String details = null;
    if (payload != null) {
      var stored = storedJson.get().read(payload, lbId);
      if (stored.isPresent()) {
        details = new String(stored.get().details(), 0, stored.get().detailsLength(), StandardCharsets.UTF_8);
      }
    }
    if (details == null) {
      try {
        details = mapper.writeValueAsString(e);
      } catch (Exception ex) {
        details = "{}";
      }
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
    return reader.events(pid(lbId), 1)
        .runFold(zero, (acc, e) -> step.apply(acc, replay, replay.apply(e)), system)
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
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      int size = ControlPlaneGateway.pageSize(in.getPageSize());
      String scope = ControlPlaneGateway.listScope(caller, "events", lbId);
      long after = ControlPlaneGateway.decodeToken(in.getPageToken(), scope);
      if (in.getFromSequenceNr() < 0 || in.getToSequenceNr() < 0) {
        throw Errors.invalid("from_sequence_nr, to_sequence_nr: must be 0 (unbounded) or more");
      }
      Instant from = in.hasFromTime() ? WireTime.instant(in.getFromTime(), "from_time") : Instant.MIN;
      Instant to = in.hasToTime() ? WireTime.instant(in.getToTime(), "to_time") : Instant.MAX;
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
            acc.add(toWire(lbId, step.sequenceNr(), step.sequenceNr(), step.version(), step.event(), step.payload()));
          }
        }
        return acc;
      }).thenApply(events -> ListEventsResponse.newBuilder().addAllEvents(events)
          .setNextPageToken(ControlPlaneGateway.encodeToken(next[0], scope)).build());
    });
  }

  @Override
  public Source<AuditEvent, NotUsed> streamEvents(StreamEventsRequest in, Metadata md) {
    try {
      WireChecks.check(in);
      Caller caller = gw.caller(md, "");
      if (in.getFromOffset() < 0) throw Errors.invalid("from_offset: must be 0 (from the beginning) or more");
      Instant from = in.hasFromTime() ? WireTime.instant(in.getFromTime(), "from_time") : Instant.MIN;
      if (in.getLoadBalancerId().isEmpty()) return projectStream(caller, in, from);
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      // Check the owner before following: a stream of someone else's (or no) load balancer never opens.
      return Source.completionStage(reader.eventsPage(pid(lbId), 1, 1, 1))
          .flatMapConcat(first -> {
            if (first.isEmpty() || !owns(caller, first.get(0).event())) throw notFound(lbId);
            // What is written now, read directly; then, to follow, the read journal from the next event on.
            long[] last = {0};
            Source<Entry, NotUsed> events = reader.events(pid(lbId), 1).map(e -> {
              last[0] = e.sequenceNr();
              return e;
            });
            if (in.getFollow()) {
              events = events.concatLazy(Source.lazySource(() ->
                      journal.eventsByPersistenceId(pid(lbId), last[0] + 1, Long.MAX_VALUE).map(AuditServiceImpl::entry))
                  .mapMaterializedValue(m -> NotUsed.getInstance()));
            }
            return events.statefulMapConcat(() -> {
              Replay replay = new Replay(caller, lbId);
              return env -> {
                Step step = replay.apply(env);
                boolean wanted = step.sequenceNr() > in.getFromOffset() && !step.event().meta().at().isBefore(from);
                return wanted ? List.of(toWire(lbId, step.sequenceNr(), step.sequenceNr(), step.version(), step.event(),
                    step.payload()))
                    : List.<AuditEvent>of();
              };
            });
          });
    } catch (RuntimeException e) {
      return Source.failed(Errors.translate(e, "the audit service"));
    }
  }

  /**
   * A project's events across all its load balancers, by the project tag, in journal order.
   *
   * <p>Events written more than {@code settled-after} ago are read directly ({@link JournalReader#tagged}); from
   * the first younger one on, the read journal takes over from the last offset sent. The hand-over is where gaps
   * could hide: the journal's positions are taken when a write starts, so a slow transaction can make an event
   * appear after others with higher positions. The read journal waits for such gaps to close before it moves past
   * them; the direct read only ever reads events older than any write still in progress (the journal stamps
   * {@code write_timestamp} before it inserts), so nothing it passed can appear later.
   */
  private Source<AuditEvent, NotUsed> projectStream(Caller caller, StreamEventsRequest in, Instant from) {
    return projectEntries(caller, in.getFromOffset(), from, in.getFollow()).map(this::toWire);
  }

  private Source<Entry, NotUsed> projectEntries(Caller caller, long fromOffset, Instant from, boolean follow) {
    String tag = LoadBalancerEntity.projectTag(caller.orgId(), caller.projectId());
    long settled = System.currentTimeMillis() - settings.settledAfter().toMillis();
    long[] last = {fromOffset};
    Source<Entry, NotUsed> past = reader.tagged(tag, fromOffset, settled).map(e -> {
      last[0] = e.ordering();
      return e;
    });
    Source<Entry, NotUsed> events = past.concatLazy(Source.lazySource(() -> {
          Offset offset = Offset.sequence(last[0]);
          return (follow ? journal.eventsByTag(tag, offset) : journal.currentEventsByTag(tag, offset))
              .map(AuditServiceImpl::entry);
        }).mapMaterializedValue(m -> NotUsed.getInstance()));
    return events.filter(e -> !e.event().meta().at().isBefore(from));
  }

  /** A project stream's event: its offset is the journal position; no version (that needs the replay). */
  private AuditEvent toWire(Entry e) {
    return toWire(e.persistenceId().substring(PID_PREFIX.length()), e.ordering(), e.sequenceNr(), 0, e.event(),
        e.payload());
  }

  private static final String PID_PREFIX = LoadBalancerEntity.TYPE_KEY.name() + "|";

  /** Events rendered per message of an export: about 1 MB of JSON. */
  private static final int EXPORT_CHUNK = 1000;

  /**
   * The project stream without follow, as JSON Lines rendered here, {@value #EXPORT_CHUNK} events a message: a
   * message per event cost the server and the client more than reading and decoding the event.
   *
   * <p>The settled past (see {@link #projectEntries}) is rendered from the rows as stored, without decoding them
   * ({@link StoredEventJson}), chunk by chunk on every core, and sent in order; the read journal's young tail is
   * rendered from its decoded events. Either way a line is what {@code StreamEvents} sends for the event.
   */
  @Override
  public Source<ExportChunk, NotUsed> exportEvents(ExportEventsRequest in, Metadata md) {
    try {
      WireChecks.check(in);
      Caller caller = gw.caller(md, "");
      if (in.getFromOffset() < 0) throw Errors.invalid("from_offset: must be 0 (from the beginning) or more");
      Instant from = in.hasFromTime() ? WireTime.instant(in.getFromTime(), "from_time") : Instant.MIN;
      int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
      String tag = LoadBalancerEntity.projectTag(caller.orgId(), caller.projectId());
      long settled = System.currentTimeMillis() - settings.settledAfter().toMillis();
      long[] last = {in.getFromOffset()};
      // Windows of the settled past, each read and rendered on one thread, several at once, sent in order; the
      // window where the young part begins is the last (takeWhile, inclusive).
      Source<ExportChunk, NotUsed> past = reader.tagWindows(tag, in.getFromOffset())
          .mapAsync(cores, w -> reader.onBlocking(() -> {
            List<JournalReader.Raw> rows = reader.taggedIn(tag, w[0], w[1]);
            int cut = JournalReader.settled(rows, settled);
            boolean young = cut < rows.size();
            long lastRow = cut > 0 ? rows.get(cut - 1).ordering() : w[0];
            if (!young && w[1] != Long.MAX_VALUE) lastRow = w[1];
            return new Rendered(renderStored(rows.subList(0, cut), from), lastRow, young || w[1] == Long.MAX_VALUE);
          }))
          .takeWhile(r -> !r.last(), true)
          .map(r -> {
            last[0] = r.lastRow();
            return r.chunk();
          })
          .filter(chunk -> chunk.getEvents() > 0);
      Source<ExportChunk, NotUsed> young = Source.lazySource(() ->
              journal.currentEventsByTag(tag, Offset.sequence(last[0])).map(AuditServiceImpl::entry)
                  .filter(e -> !e.event().meta().at().isBefore(from))
                  .groupedWithin(EXPORT_CHUNK, Duration.ofMillis(200))
                  .map(group -> {
                    var line = new AuditJson.Line(group.size() * 1200);
                    for (Entry e : group) AuditEventLines.event(line, toWire(e)).newline();
                    return chunk(line, group.size(), group.get(group.size() - 1).ordering());
                  }))
          .mapMaterializedValue(m -> NotUsed.getInstance());
      return past.concatLazy(young);
    } catch (RuntimeException e) {
      return Source.failed(Errors.translate(e, "the audit service"));
    }
  }

  /**
   * A rendered window: its chunk, the journal position up to which it covered the tag (exported or filtered out),
   * and whether it is the last of the settled past.
   */
  private record Rendered(ExportChunk chunk, long lastRow, boolean last) {}

  /** Rows as stored, as JSON Lines; rows it cannot read as stored are decoded and rendered as StreamEvents would. */
  private ExportChunk renderStored(List<JournalReader.Raw> rows, Instant from) {
    var stored = storedJson.get();
    var line = new AuditJson.Line(rows.size() * 1200);
    int events = 0;
    long lastExported = 0;
    for (JournalReader.Raw r : rows) {
      String lbId = r.persistenceId().substring(PID_PREFIX.length());
      var f = stored.read(r.payload(), lbId);
      if (f.isPresent()) {
        var x = f.get();
        if (from != Instant.MIN && x.at().isBefore(from)) continue;
        line.event(r.ordering(), lbId, r.sequenceNr(), 0, x.type(), true, x.seconds(), x.nanos(), x.actor(), x.peer(),
            x.requestId(), x.command(), x.reason(), x.resourceKind(), x.resourceId(), x.details(), 0,
            x.detailsLength());
      } else {
        Entry e = reader.decode(r);
        if (e.event().meta().at().isBefore(from)) continue;
        AuditEventLines.event(line, toWire(e));
      }
      line.newline();
      events++;
      lastExported = r.ordering();
    }
    return chunk(line, events, lastExported);
  }

  private static ExportChunk chunk(AuditJson.Line line, int events, long lastOffset) {
    // The line buffer is not touched again: hand its bytes over without a copy.
    return ExportChunk.newBuilder().setJsonLines(UnsafeByteOperations.unsafeWrap(line.bytes(), 0, line.length()))
        .setEvents(events).setLastOffset(lastOffset).build();
  }

  @Override
  public CompletionStage<LoadBalancerSnapshot> getLoadBalancerAt(GetLoadBalancerAtRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("id", in.getId());
      checkPoint(in.getAt(), "at");
      return at(caller, lbId, in.getAt(), "at");
    });
  }

  @Override
  public CompletionStage<DiffLoadBalancerResponse> diffLoadBalancer(DiffLoadBalancerRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("id", in.getId());
      checkPoint(in.getFrom(), "from");
      checkPoint(in.getTo(), "to");
      var fromStage = at(caller, lbId, in.getFrom(), "from");
      var toStage = at(caller, lbId, in.getTo(), "to");
      return fromStage.thenCombine(toStage, (a, b) -> DiffLoadBalancerResponse.newBuilder()
          .setFromVersion(a.getLoadBalancer().getVersion()).setToVersion(b.getLoadBalancer().getVersion())
          .addAllChanges(Snapshots.diff(a, b)).build());
    });
  }

  private static void checkPoint(PointInTime p, String field) {
    if (p.hasVersion() && p.getVersion() < 1) {
      throw Errors.invalid(field + ".version: must be 1 or more, got " + p.getVersion());
    }
    if (p.hasTime()) WireTime.instant(p.getTime(), field + ".time");
  }

  /**
   * The snapshot at a point. Version N is the state after the last event that left the tree at N; time T the state
   * after the last event at or before T; no point, the latest ({@link PastStates#at}).
   */
  private CompletionStage<LoadBalancerSnapshot> at(Caller caller, String lbId, PointInTime p, String field) {
    return at(caller, lbId, p, field + ".version", field + ".time", pastStates)
        .thenApply(at -> Snapshots.snapshot(at.state(), at.sequenceNr()));
  }

  /**
   * The state at a point, or the status that says why there is none: NOT_FOUND for no such load balancer (or
   * another project's) or one that did not exist yet then, INVALID_ARGUMENT for a version past its last.
   *
   * @param versionField the field that names the point's version, for errors; {@code timeField} its time
   */
  static CompletionStage<PastStates.At> at(Caller caller, String lbId, PointInTime p, String versionField,
      String timeField, PastStates pastStates) {
    Instant time = p.hasTime() ? WireTime.instant(p.getTime(), timeField) : Instant.MAX;
    long maxVersion = p.hasVersion() ? p.getVersion() : Long.MAX_VALUE;
    return pastStates.at(lbId, first -> owns(caller, first), maxVersion, time).thenApply(found -> {
      PastStates.At at = found.orElseThrow(() -> notFound(lbId));
      if (p.hasVersion() && p.getVersion() > at.latestVersion()) {
        throw Errors.invalid(versionField + ": load balancer " + lbId + " has versions 1.." + at.latestVersion()
            + ", got " + p.getVersion());
      }
      if (History.version(at.state()) == 0) {
        throw new GrpcServiceException(Status.NOT_FOUND.withDescription("load balancer " + lbId
            + " did not exist yet at " + (p.hasTime() ? time : "that point")));
      }
      return at;
    });
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }


}
