package io.fiberlb.bench.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.audit.History;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.model.EventMeta;
import java.io.Writer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * Where the server's audit time goes, measured in-process on a journal (the server must be stopped: H2 file mode
 * lets one process in). Each stage is timed on its own, several times, and the medians printed as microseconds per
 * event; a prototype of GetLoadBalancerAt that starts from the entity's latest snapshot is timed beside the current
 * algorithm (replay from sequence 1) and its answer compared with it.
 *
 * <p>Stages for {@code replay}: the SQL query alone (rows and payload bytes), + Pekko deserialization, + the fold
 * through LoadBalancerState::apply; the read journal (currentEventsByPersistenceId) counting only, folding, and
 * folding + History.snapshot (the current GetLoadBalancerAt without gRPC); the fold alone on events in memory; and
 * the snapshot prototype. For {@code export}: the SQL of eventsByTag alone, the read journal's currentEventsByTag
 * counting only (in a fresh actor system, then again), + the server's toWire (details_json included), toWire without
 * details_json, + protobuf encoding, and the client's JSON printing on its own.
 *
 * <p>Usage: {@code AuditProto replay|export --data-dir D --org O --project P [--lb ID] [--runs 3] [--out tsv]};
 * JVM system properties override the node's configuration (e.g. -Djdbc-read-journal.max-buffer-size=5000).
 * {@code AuditProto varbinary --data-dir D} changes the journal's payload column from BLOB to VARBINARY;
 * {@code AuditProto offsets --data-dir D --org O --project P --tails 10000,20000} prints the offsets after which a
 * project has its last K events.
 */
public final class AuditProto {
  private final ActorSystem<Void> system;
  private final JdbcReadJournal journal;
  private final Serialization serialization;
  private final ObjectMapper mapper;
  private final String url;
  private final Path out;
  private final String label;

  private AuditProto(Path data, Path out, String label) {
    var config = AuditSupport.nodeConfig(data, Map.of("pekko.actor.provider", "local",
        "pekko.persistence.journal.auto-start-journals", List.of(),
        "pekko.persistence.snapshot-store.auto-start-snapshot-stores", List.of()), false);
    this.url = config.getString("fiberlb.database.url");
    this.system = ActorSystem.create(Behaviors.empty(), "audit-proto", config);
    this.journal = PersistenceQuery.get(system).getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    this.serialization = SerializationExtension.get(system);
    this.mapper = JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    this.out = out;
    this.label = label;
  }

  public static void main(String[] argv) throws Exception {
    var args = new AuditSupport.Args(argv);
    String cmd = args.words.isEmpty() ? "" : args.words.get(0);
    Path data = Path.of(args.required("data-dir"));
    if (cmd.equals("varbinary")) {
      varbinary(data);
      return;
    }
    if (cmd.equals("offsets")) {
      offsets(data, args);
      return;
    }
    Path out = Path.of(args.str("out", "/dev/null"));
    String label = args.str("label", cmd);
    var p = new AuditProto(data, out, label);
    p.only = args.str("only", "");
    try {
      switch (cmd) {
        case "replay" -> p.replay(args);
        case "export" -> p.export(args);
        default -> throw new IllegalArgumentException("usage: AuditProto replay|export ...");
      }
    } finally {
      p.system.terminate();
      p.system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(0);
  }

  /**
   * Changes a journal's event_payload column from BLOB to VARBINARY (BINARY VARYING, kept in the row): the storage
   * experiment of the benchmarks. Same events, same everything else.
   */
  private static void varbinary(Path data) throws Exception {
    String url = "jdbc:h2:file:" + data + "/fiberlb;DATABASE_TO_UPPER=false";
    try (Connection c = DriverManager.getConnection(url, "fiberlb", "fiberlb");
        var st = c.createStatement()) {
      long t0 = System.nanoTime();
      st.execute("ALTER TABLE \"event_journal\" ALTER COLUMN \"event_payload\" SET DATA TYPE VARBINARY");
      System.out.printf("event_payload is VARBINARY now (%.1f s)%n", (System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * For each K of {@code --tails}: the offset (journal ordering) after which the project has exactly its last K
   * events, printed as {@code K OFFSET} lines: StreamEvents from that offset exports K events.
   */
  private static void offsets(Path data, AuditSupport.Args args) throws Exception {
    String url = "jdbc:h2:file:" + data + "/fiberlb;DATABASE_TO_UPPER=false";
    String tag = LoadBalancerEntity.projectTag(args.required("org"), args.required("project"));
    try (Connection c = DriverManager.getConnection(url, "fiberlb", "fiberlb");
        PreparedStatement ps = c.prepareStatement("SELECT \"event_id\" FROM \"event_tag\" WHERE \"tag\" = ?"
            + " ORDER BY \"tag\" DESC, \"event_id\" DESC LIMIT 1 OFFSET ?")) {
      for (String k : args.required("tails").split(",")) {
        ps.setString(1, tag);
        ps.setLong(2, Long.parseLong(k));
        try (ResultSet rs = ps.executeQuery()) {
          System.out.println(k + " " + (rs.next() ? rs.getLong(1) : 0));
        }
      }
    }
  }

  // ------------------------------------------------------------------ timing

  private interface Stage {
    /** Runs once; returns the number of events it handled. */
    long run() throws Exception;
  }

  private final Map<String, Double> results = new LinkedHashMap<>();
  /** --only: run only the stages whose name contains this (e.g. under a profiler). */
  private String only = "";

  /** Runs a stage warmup + runs times; prints and records the median wall time per event. */
  private double time(String name, int warmup, int runs, Stage stage) throws Exception {
    if (!name.contains(only)) return Double.NaN;
    var perEvent = new ArrayList<Double>();
    var walls = new ArrayList<Double>();
    long events = 0;
    for (int i = 0; i < warmup + runs; i++) {
      long cpu0 = AuditSupport.cpuMs(AuditSupport.selfPid());
      long t0 = System.nanoTime();
      events = stage.run();
      double ms = (System.nanoTime() - t0) / 1e6;
      long cpu = AuditSupport.cpuMs(AuditSupport.selfPid()) - cpu0;
      if (i >= warmup) {
        perEvent.add(ms * 1000 / Math.max(1, events));
        walls.add(ms);
        AuditSupport.tsv(out, "label\tstage\trun\tevents\twall_ms\tus_per_event\tevents_per_s\tcpu_ms\tloadavg",
            String.join("\t", label, name, Integer.toString(i - warmup + 1), Long.toString(events),
                String.format(Locale.ROOT, "%.1f", ms), String.format(Locale.ROOT, "%.2f", ms * 1000 / events),
                String.format(Locale.ROOT, "%.0f", events * 1000 / ms), Long.toString(cpu),
                AuditSupport.loadavg().split(" ")[0]));
      }
    }
    double med = AuditSupport.median(perEvent);
    results.put(name, med);
    System.out.printf(Locale.ROOT, "%-58s %8d events  median %9.1f ms  %8.2f us/event  %9.0f events/s%n", name,
        events, AuditSupport.median(walls), med, 1e6 / med);
    return med;
  }

  // ------------------------------------------------------------------ replay

  private static String pid(String lbId) {
    return LoadBalancerEntity.TYPE_KEY.name() + "|" + lbId;
  }

  private void replay(AuditSupport.Args args) throws Exception {
    String lb = args.required("lb");
    int runs = args.integer("runs", 3);
    int warmup = args.integer("warmup", 1);
    String pid = pid(lb);

    time("sql: rows + payload bytes (JDBC, like the read journal)", warmup, runs, () -> {
      long n = 0;
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT \"ordering\", \"sequence_number\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\""
              + " FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"deleted\" = FALSE"
              + " ORDER BY \"sequence_number\"")) {
        ps.setString(1, pid);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byte[] b = rs.getBytes(3);
            n += b.length > 0 ? 1 : 0;
          }
        }
      }
      return n;
    });
    time("sql: rows without payload", warmup, runs, () -> {
      long n = 0;
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT \"ordering\", \"sequence_number\", \"event_ser_id\", \"event_ser_manifest\""
              + " FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"deleted\" = FALSE"
              + " ORDER BY \"sequence_number\"")) {
        ps.setString(1, pid);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) n++;
        }
      }
      return n;
    });

    // Payloads in memory, to time deserialization and the fold without the database.
    List<Object[]> rows = new ArrayList<>();
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT \"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\""
            + " WHERE \"persistence_id\" = ? ORDER BY \"sequence_number\"")) {
      ps.setString(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) rows.add(new Object[] {rs.getBytes(1), rs.getInt(2), rs.getString(3)});
      }
    }
    long bytes = rows.stream().mapToLong(r -> ((byte[]) r[0]).length).sum();
    System.out.printf("%s: %d events, payload %.0f bytes/event on average%n", lb, rows.size(),
        (double) bytes / rows.size());
    List<LoadBalancerEvent> events = new ArrayList<>();
    time("deserialize payloads in memory (Jackson CBOR)", warmup, runs, () -> {
      events.clear();
      for (Object[] r : rows) {
        events.add((LoadBalancerEvent) serialization.deserialize((byte[]) r[0], (Integer) r[1], (String) r[2]).get());
      }
      return events.size();
    });
    time("fold in memory (LoadBalancerState::apply)", warmup, runs, () -> {
      LoadBalancerState s = new LoadBalancerState.NotCreated(0);
      for (LoadBalancerEvent e : events) s = s.apply(e);
      return History.version(s) > 0 ? events.size() : 0;
    });
    time("fold in memory + History.version per event (as Replay does)", warmup, runs, () -> {
      LoadBalancerState s = new LoadBalancerState.NotCreated(0);
      long max = 0;
      for (LoadBalancerEvent e : events) {
        s = s.apply(e);
        max = Math.max(max, History.version(s));
      }
      return max > 0 ? events.size() : 0;
    });

    time("read journal: currentEventsByPersistenceId, count only", warmup, runs, () ->
        journal.currentEventsByPersistenceId(pid, 0, Long.MAX_VALUE).runFold(0L, (n, env) -> n + 1, system)
            .toCompletableFuture().get(600, TimeUnit.SECONDS));
    LoadBalancerSnapshot[] full = {null};
    time("read journal + fold + History.snapshot (GetLoadBalancerAt now)", warmup, runs, () -> {
      var r = replayFrom(pid, 0, new LoadBalancerState.NotCreated(0));
      full[0] = io.fiberlb.api.Snapshots.snapshot(r.state, r.seq);
      return r.count;
    });

    // The prototype: the latest snapshot the entity saved, then only the events after it.
    ActorRef store = Persistence.get(Adapter.toClassic(system)).snapshotStoreFor("jdbc-snapshot-store",
        com.typesafe.config.ConfigFactory.empty());
    long[] snapSeq = {0};
    double snapshotLoad = time("prototype: load latest snapshot (snapshot store)", warmup, runs, () -> {
      SelectedSnapshot s = loadSnapshot(store, pid);
      snapSeq[0] = s == null ? 0 : s.metadata().sequenceNr();
      return 1;
    });
    LoadBalancerSnapshot[] fromSnap = {null};
    long total = rows.size();
    time("prototype: snapshot + tail events + History.snapshot", warmup, runs, () -> {
      SelectedSnapshot s = loadSnapshot(store, pid);
      LoadBalancerState start = s == null ? new LoadBalancerState.NotCreated(0) : (LoadBalancerState) s.snapshot();
      long from = s == null ? 0 : s.metadata().sequenceNr();
      var r = replayFrom(pid, from + 1, start);
      fromSnap[0] = io.fiberlb.api.Snapshots.snapshot(r.state, r.seq == 0 ? from : r.seq);
      // Counted as the events the answer stands for, so that events/s compare with the full replay.
      return total;
    });
    System.out.printf("latest snapshot at sequence_nr %d of %d: the prototype reads %d events instead of %d%n",
        snapSeq[0], total, total - snapSeq[0], total);
    // The worst case for a load balancer that keeps changing: its latest snapshot is snapshot-every - 1 events
    // old. The entity keeps 2 snapshots, so the one before the latest stands for it here.
    LoadBalancerSnapshot[] older = {null};
    long[] olderSeq = {0};
    time("prototype: older snapshot + up to 100 tail events", warmup, runs, () -> {
      SelectedSnapshot s = loadSnapshot(store, pid, snapSeq[0] - 1);
      LoadBalancerState start = s == null ? new LoadBalancerState.NotCreated(0) : (LoadBalancerState) s.snapshot();
      long from = s == null ? 0 : s.metadata().sequenceNr();
      olderSeq[0] = from;
      var r = replayFrom(pid, from + 1, start);
      older[0] = io.fiberlb.api.Snapshots.snapshot(r.state, r.seq == 0 ? from : r.seq);
      return total;
    });
    if (full[0] == null || fromSnap[0] == null || older[0] == null) return; // stages skipped (--only)
    System.out.printf("older snapshot at sequence_nr %d: %d tail events; answer equal: %s%n", olderSeq[0],
        total - olderSeq[0], full[0].equals(older[0]));
    boolean same = full[0].equals(fromSnap[0]);
    System.out.println("prototype answer equals the full replay's: " + same);
    if (!same) {
      System.out.println("full:      " + JsonFormat.printer().print(full[0]).substring(0, 400));
      System.out.println("prototype: " + JsonFormat.printer().print(fromSnap[0]).substring(0, 400));
      throw new IllegalStateException("the snapshot prototype answered differently");
    }
    System.out.printf("snapshot load alone: %.0f us%n", snapshotLoad);
  }

  private static final class Folded {
    LoadBalancerState state;
    long seq;
    long count;
  }

  private Folded replayFrom(String pid, long from, LoadBalancerState start) throws Exception {
    var acc = new Folded();
    acc.state = start;
    return journal.currentEventsByPersistenceId(pid, from, Long.MAX_VALUE).runFold(acc, (a, env) -> {
      a.state = a.state.apply((LoadBalancerEvent) env.event());
      a.seq = env.sequenceNr();
      a.count++;
      return a;
    }, system).toCompletableFuture().get(600, TimeUnit.SECONDS);
  }

  private static SelectedSnapshot loadSnapshot(ActorRef store, String pid) throws Exception {
    return loadSnapshot(store, pid, Long.MAX_VALUE);
  }

  private static SelectedSnapshot loadSnapshot(ActorRef store, String pid, long maxSequenceNr) throws Exception {
    Object r = Patterns.ask(store, new SnapshotProtocol.LoadSnapshot(pid,
        SnapshotSelectionCriteria.create(maxSequenceNr, Long.MAX_VALUE), Long.MAX_VALUE), Duration.ofSeconds(30))
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    var result = (SnapshotProtocol.LoadSnapshotResult) r;
    return result.snapshot().isDefined() ? result.snapshot().get() : null;
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection(url, "fiberlb", "fiberlb");
  }

  // ------------------------------------------------------------------ export

  private void export(AuditSupport.Args args) throws Exception {
    String org = args.required("org");
    String project = args.required("project");
    int runs = args.integer("runs", 3);
    int warmup = args.integer("warmup", 1);
    String tag = LoadBalancerEntity.projectTag(org, project);
    String prefix = LoadBalancerEntity.TYPE_KEY.name() + "|";

    time("sql: eventsByTag rows + payload (one query, JDBC)", 0, runs, () -> {
      long n = 0;
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\", j.\"event_payload\""
              + " FROM \"event_journal\" j JOIN \"event_tag\" t ON j.\"ordering\" = t.\"event_id\""
              + " WHERE j.\"deleted\" = FALSE AND t.\"tag\" = ? ORDER BY j.\"ordering\"")) {
        ps.setString(1, tag);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) n += rs.getBytes(4).length > 0 ? 1 : 0;
        }
      }
      return n;
    });
    time("sql: eventsByTag rows without payload", 0, runs, () -> {
      long n = 0;
      try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
          "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\""
              + " FROM \"event_journal\" j JOIN \"event_tag\" t ON j.\"ordering\" = t.\"event_id\""
              + " WHERE j.\"deleted\" = FALSE AND t.\"tag\" = ? ORDER BY j.\"ordering\"")) {
        ps.setString(1, tag);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) n++;
        }
      }
      return n;
    });
    // The first eventsByTag of an actor system starts the journal sequence actor, which must scan every
    // ordering of the journal before the query may read past it.
    time("read journal: currentEventsByTag, count (first in this JVM)", 0, 1, () -> count(tag));
    time("read journal: currentEventsByTag, count", 0, runs, () -> count(tag));
    time("read journal + toWire (details_json) = server's stream", 0, runs, () ->
        journal.currentEventsByTag(tag, Offset.sequence(0))
            .map(env -> toWire(env, prefix, true)).runFold(0L, (n, e) -> n + 1, system)
            .toCompletableFuture().get(3600, TimeUnit.SECONDS));
    time("read journal + toWire without details_json", 0, runs, () ->
        journal.currentEventsByTag(tag, Offset.sequence(0))
            .map(env -> toWire(env, prefix, false)).runFold(0L, (n, e) -> n + 1, system)
            .toCompletableFuture().get(3600, TimeUnit.SECONDS));

    // In memory: the per-event costs of the server's conversion and of the client's JSON, without the database.
    List<LoadBalancerEvent> sample = new ArrayList<>();
    List<EventEnvelope> envs = new ArrayList<>();
    journal.currentEventsByTag(tag, Offset.sequence(0)).take(200_000)
        .runForeach(env -> envs.add(env), system).toCompletableFuture().get(3600, TimeUnit.SECONDS);
    for (EventEnvelope env : envs) sample.add((LoadBalancerEvent) env.event());
    time("in memory: details_json (ObjectMapper.writeValueAsString)", 1, runs, () -> {
      long n = 0;
      for (LoadBalancerEvent e : sample) n += mapper.writeValueAsString(e).length() > 0 ? 1 : 0;
      return n;
    });
    List<AuditEvent> wires = new ArrayList<>();
    time("in memory: toWire (with details_json)", 1, runs, () -> {
      wires.clear();
      for (EventEnvelope env : envs) wires.add(toWire(env, prefix, true));
      return wires.size();
    });
    time("in memory: protobuf encoding (toByteArray)", 1, runs, () -> {
      long n = 0;
      for (AuditEvent e : wires) n += e.toByteArray().length > 0 ? 1 : 0;
      return n;
    });
    var printer = JsonFormat.printer().preservingProtoFieldNames().includingDefaultValueFields()
        .omittingInsignificantWhitespace();
    long[] chars = {0};
    time("in memory: client JSON line (JsonFormat.appendTo, CLI's printer)", 1, runs, () -> {
      var sink = new Writer() {
        @Override
        public void write(char[] cbuf, int off, int len) {
          chars[0] += len;
        }

        @Override
        public void write(String s, int off, int len) {
          chars[0] += len;
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
      chars[0] = 0;
      for (AuditEvent e : wires) {
        printer.appendTo(e, sink);
        sink.write('\n');
      }
      return wires.size();
    });
    System.out.printf("JSON line: %.0f characters per event on average%n", (double) chars[0] / wires.size());
  }

  private long count(String tag) throws Exception {
    return journal.currentEventsByTag(tag, Offset.sequence(0)).runFold(0L, (n, env) -> n + 1, system)
        .toCompletableFuture().get(3600, TimeUnit.SECONDS);
  }

  /** What AuditServiceImpl.toWire does for a project-wide stream; details_json optional. */
  private AuditEvent toWire(EventEnvelope env, String prefix, boolean details) throws Exception {
    var e = (LoadBalancerEvent) env.event();
    String lbId = env.persistenceId().substring(prefix.length());
    EventMeta m = e.meta();
    var b = AuditEvent.newBuilder().setOffset(((Sequence) env.offset()).value()).setLoadBalancerId(lbId)
        .setSequenceNr(env.sequenceNr()).setVersion(0).setType(History.type(e)).setTime(ts(m.at()))
        .setActor(m.actor()).setPeer(m.peer()).setRequestId(m.requestId()).setCommand(m.command())
        .setReason(m.reason()).setResourceKind(History.resourceKind(e)).setResourceId(History.resourceId(e, lbId));
    if (details) b.setDetailsJson(mapper.writeValueAsString(e));
    return b.build();
  }

  private static Timestamp ts(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }
}
