package io.fiberlb.audit;

import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import slick.jdbc.JdbcBackend;

/**
 * The audit's own reads of the journal tables, for history that is already written: key-ordered pages (each an
 * index range: {@code (persistence_id, sequence_number)} for a load balancer, {@code (tag, event_id)} for a project),
 * decoded with the same Pekko serializers the journal wrote them with. The read journal stays in charge of live
 * events ({@code follow}); see {@code api.AuditServiceImpl} for where one hands over to the other.
 *
 * <p>Why not the read journal for the past as well: its queries come in batches of {@code max-buffer-size} rows,
 * each after the previous has been consumed, and H2 plans them badly (a project batch joins and sorts the whole
 * rest of the project; the first batch of a load balancer sorts all its events). Here a page is one index seek and
 * the next page is read while the previous one is used. Tables and columns are those of the DDL this project owns
 * ({@code db/h2.sql}, {@code db/postgres.sql}); old H2 files with BLOB payloads read the same way.
 */
public final class JournalReader {
  /**
   * One journal row, decoded.
   *
   * @param payload the event's bytes as the journal holds them, for {@link StoredEventJson}; null for an event that
   *     came from the read journal (a live one), which hands over only the decoded event
   */
  public record Entry(long ordering, String persistenceId, long sequenceNr, long writeTimestamp, LoadBalancerEvent event,
      byte[] payload) {}

  /** One journal row as read: the event still in its serialized form. */
  public record Raw(long ordering, String persistenceId, long sequenceNr, long writeTimestamp, int serializerId,
      String manifest, byte[] payload) {}

  /** Rows decoded per task: small enough that both cores share a page, big enough to keep hand-offs rare. */
  private static final int DECODE_CHUNK = 128;

  private static final String EVENTS_SQL = "SELECT \"ordering\", \"sequence_number\", \"write_timestamp\","
      + " \"event_ser_id\", \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
      + " WHERE \"persistence_id\" = ? AND \"sequence_number\" >= ? AND \"sequence_number\" <= ? AND \"deleted\" = FALSE"
      // Both key columns, so that H2 walks the primary key in order and stops after the page (it sorts otherwise).
      + " ORDER BY \"persistence_id\", \"sequence_number\" LIMIT ?";

  private final JdbcBackend.JdbcDatabaseDef db;
  private final Serialization serialization;
  private final Executor blocking;
  private final int pageSize;
  private final int decoders = Math.max(1, Runtime.getRuntime().availableProcessors());

  public JournalReader(ActorSystem<?> system, int pageSize) {
    var classic = Adapter.toClassic(system);
    // The database the journal plugins share (use-shared-db): same pool, same credentials.
    this.db = ((SlickExtensionImpl) SlickExtension.get(classic))
        .database(system.settings().config().getConfig("jdbc-read-journal")).database();
    this.serialization = SerializationExtension.get(classic);
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.pageSize = pageSize;
  }

  /** A load balancer's events from {@code fromSeqNr} on, as far as they are written now. */
  public Source<Entry, NotUsed> events(String persistenceId, long fromSeqNr) {
    return decoded(pages(fromSeqNr, next -> rawEvents(persistenceId, next, Long.MAX_VALUE, pageSize),
        r -> r.sequenceNr() + 1));
  }

  /**
   * A tag's events after journal position {@code afterOrdering}, in journal order, up to (not including) the first
   * one written at or after {@code writtenBefore} (epoch ms): the part of the history that can no longer change.
   */
  public Source<Entry, NotUsed> tagged(String tag, long afterOrdering, long writtenBefore) {
    return decoded(taggedRows(tag, afterOrdering, writtenBefore));
  }

  /** {@link #tagged}, page by page, not decoded: for an export, which renders the stored bytes. */
  public Source<List<Raw>, NotUsed> taggedRows(String tag, long afterOrdering, long writtenBefore) {
    boolean[] reached = {false};
    return pages(afterOrdering, next -> reached[0] ? CompletableFuture.completedFuture(List.<Raw>of())
            : rawTagged(tag, next),
        Raw::ordering)
        .map(rows -> {
          if (reached[0]) return List.<Raw>of(); // a page read ahead of the cut
          int settled = settled(rows, writtenBefore);
          if (settled < rows.size()) reached[0] = true;
          return rows.subList(0, settled);
        })
        .filter(rows -> !rows.isEmpty());
  }

  /**
   * How many of these rows, from the first, were written before {@code writtenBefore} (epoch ms): the settled
   * part of a page ends at the first row written at or after it.
   */
  public static int settled(List<Raw> rows, long writtenBefore) {
    int n = 0;
    while (n < rows.size() && rows.get(n).writeTimestamp() < writtenBefore) n++;
    return n;
  }

  private static final String WINDOW_SQL = "SELECT \"event_id\" FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" > ?"
      + " ORDER BY \"tag\", \"event_id\" LIMIT 1 OFFSET ?";

  private static final String TAGGED_IN_SQL = "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\","
      + " j.\"write_timestamp\", j.\"event_ser_id\", j.\"event_ser_manifest\", j.\"event_payload\""
      + " FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
      + " WHERE t.\"tag\" = ? AND t.\"event_id\" > ? AND t.\"event_id\" <= ? AND j.\"deleted\" = FALSE"
      // The (tag, event_id) index in its own order: H2 reads the page's rows and stops.
      + " ORDER BY t.\"tag\", t.\"event_id\" LIMIT ?";

  /**
   * A tag's history cut into windows of journal positions {@code (after, upTo]}, each holding {@code page-size}
   * of its events (the last one: the rest, {@code upTo} = {@code Long.MAX_VALUE}), found in the tag index alone
   * and ahead of the consumer. Windows can be read side by side ({@link #taggedIn}), where pages must be read one
   * after another: an export reads and renders several at once, in order.
   */
  public Source<long[], NotUsed> tagWindows(String tag, long afterOrdering) {
    return Source.unfoldAsync(afterOrdering, after -> {
          if (after == Long.MAX_VALUE) return CompletableFuture.completedFuture(Optional.<Pair<Long, long[]>>empty());
          return onBlocking(() -> {
            long upTo = query(WINDOW_SQL, "reading the events of " + tag, ps -> {
              ps.setString(1, tag);
              ps.setLong(2, after);
              ps.setInt(3, pageSize - 1);
            }, rs -> rs.next() ? rs.getLong(1) : Long.MAX_VALUE);
            return Optional.of(Pair.create(upTo, new long[] {after, upTo}));
          });
        })
        .buffer(4, OverflowStrategy.backpressure());
  }

  /** Blocking: a tag's events in journal positions {@code (after, upTo]}, in journal order, at most a page. */
  public List<Raw> taggedIn(String tag, long after, long upTo) {
    return query(TAGGED_IN_SQL, "reading the events of " + tag, ps -> {
      ps.setString(1, tag);
      ps.setLong(2, after);
      ps.setLong(3, upTo);
      ps.setInt(4, pageSize);
    }, rs -> {
      var out = new ArrayList<Raw>(pageSize);
      while (rs.next()) {
        out.add(new Raw(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getInt(5), rs.getString(6),
            rs.getBytes(7)));
      }
      return out;
    });
  }

  @FunctionalInterface
  private interface Params {
    void set(PreparedStatement ps) throws SQLException;
  }

  @FunctionalInterface
  private interface Rows<T> {
    T read(ResultSet rs) throws SQLException;
  }

  /** Blocking: one query on a pooled connection; a failure names what was being read. */
  private <T> T query(String sql, String what, Params params, Rows<T> rows) {
    try (Connection c = db.source().createConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      params.set(ps);
      try (ResultSet rs = ps.executeQuery()) {
        return rows.read(rs);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(what + ": " + e.getMessage(), e);
    }
  }

  /** Key-ordered pages, each read while the consumer still works on the one before. */
  private Source<List<Raw>, NotUsed> pages(long start,
      java.util.function.Function<Long, CompletionStage<List<Raw>>> page, java.util.function.ToLongFunction<Raw> nextKey) {
    return Source.unfoldAsync(Optional.of(start), key -> {
          if (key.isEmpty()) return CompletableFuture.completedFuture(Optional.<Pair<Optional<Long>, List<Raw>>>empty());
          return page.apply(key.get()).thenApply(rows -> {
            Optional<Long> next = rows.size() < pageSize ? Optional.empty()
                : Optional.of(nextKey.applyAsLong(rows.get(rows.size() - 1)));
            return rows.isEmpty() ? Optional.<Pair<Optional<Long>, List<Raw>>>empty()
                : Optional.of(Pair.create(next, rows));
          });
        })
        .buffer(1, OverflowStrategy.backpressure());
  }

  /** Pages decoded on every core (decoding Jackson CBOR costs more than the query), in order. */
  private Source<Entry, NotUsed> decoded(Source<List<Raw>, NotUsed> pages) {
    return pages
        .mapConcat(rows -> {
          var chunks = new ArrayList<List<Raw>>();
          for (int i = 0; i < rows.size(); i += DECODE_CHUNK) {
            chunks.add(rows.subList(i, Math.min(rows.size(), i + DECODE_CHUNK)));
          }
          return chunks;
        })
        .mapAsync(decoders, chunk -> onBlocking(() -> {
          var out = new ArrayList<Entry>(chunk.size());
          for (Raw r : chunk) out.add(decode(r));
          return out;
        }))
        .mapConcat(entries -> entries);
  }

  /** Events {@code from..to} of one persistence id, at most {@code limit}. */
  public CompletionStage<List<Entry>> eventsPage(String persistenceId, long from, long to, int limit) {
    return rawEvents(persistenceId, from, to, limit).thenApply(rows -> {
      var out = new ArrayList<Entry>(rows.size());
      for (Raw r : rows) out.add(decode(r));
      return out;
    });
  }

  private CompletionStage<List<Raw>> rawEvents(String persistenceId, long from, long to, int limit) {
    return onBlocking(() -> queryEvents(persistenceId, from, to, limit));
  }

  private List<Raw> queryEvents(String persistenceId, long from, long to, int limit) {
    return query(EVENTS_SQL, "reading the events of " + persistenceId, ps -> {
      ps.setString(1, persistenceId);
      ps.setLong(2, from);
      ps.setLong(3, to);
      ps.setInt(4, limit);
    }, rs -> {
      var out = new ArrayList<Raw>(Math.min(limit, pageSize));
      while (rs.next()) {
        out.add(new Raw(rs.getLong(1), persistenceId, rs.getLong(2), rs.getLong(3), rs.getInt(4), rs.getString(5),
            rs.getBytes(6)));
      }
      return out;
    });
  }

  private CompletionStage<List<Raw>> rawTagged(String tag, long afterOrdering) {
    return onBlocking(() -> taggedIn(tag, afterOrdering, Long.MAX_VALUE));
  }

  /** Runs blocking reads (the methods below without a {@code CompletionStage}) on the blocking dispatcher. */
  public <T> CompletionStage<T> onBlocking(java.util.function.Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, blocking);
  }

  private static final String SNAPSHOT_SEQ_SQL = "SELECT \"sequence_number\" FROM \"snapshot\""
      + " WHERE \"persistence_id\" = ? ORDER BY \"persistence_id\", \"sequence_number\"";

  private static final String SNAPSHOT_SQL = "SELECT \"snapshot_ser_id\", \"snapshot_ser_manifest\","
      + " \"snapshot_payload\" FROM \"snapshot\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?";

  /** Blocking: the sequence numbers after which the entity saved the snapshots it still has, oldest first. */
  public long[] snapshotSequenceNrs(String persistenceId) {
    return query(SNAPSHOT_SEQ_SQL, "listing the snapshots of " + persistenceId, ps -> ps.setString(1, persistenceId),
        rs -> {
          var out = new ArrayList<Long>();
          while (rs.next()) out.add(rs.getLong(1));
          return out.stream().mapToLong(Long::longValue).toArray();
        });
  }

  /** Blocking: the snapshot saved after event {@code sequenceNr}, or empty if there is none (any more). */
  public Optional<LoadBalancerState> snapshot(String persistenceId, long sequenceNr) {
    return query(SNAPSHOT_SQL, "reading a snapshot of " + persistenceId, ps -> {
      ps.setString(1, persistenceId);
      ps.setLong(2, sequenceNr);
    }, rs -> rs.next() ? Optional.of((LoadBalancerState) decode(rs.getBytes(3), rs.getInt(1), rs.getString(2)))
        : Optional.empty());
  }

  /** Blocking: event {@code sequenceNr} of a persistence id, or empty. */
  public Optional<Entry> event(String persistenceId, long sequenceNr) {
    List<Raw> rows = queryEvents(persistenceId, sequenceNr, sequenceNr, 1);
    return rows.isEmpty() ? Optional.empty() : Optional.of(decode(rows.get(0)));
  }

  public Entry decode(Raw r) {
    return new Entry(r.ordering(), r.persistenceId(), r.sequenceNr(), r.writeTimestamp(),
        (LoadBalancerEvent) decode(r.payload(), r.serializerId(), r.manifest()), r.payload());
  }

  private Object decode(byte[] bytes, int serializerId, String manifest) {
    return serialization.deserialize(bytes, serializerId, manifest).get();
  }
}
