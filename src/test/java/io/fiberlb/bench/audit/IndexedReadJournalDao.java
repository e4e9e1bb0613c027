package io.fiberlb.bench.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import scala.Option;
import scala.Tuple2;
import scala.Tuple3;
import scala.concurrent.ExecutionContext;
import scala.util.Failure;
import scala.util.Success;
import scala.util.Try;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * A benchmark prototype, not product code: the read journal's DAO with two queries changed so that H2 can answer
 * each batch from an index, in index order, and stop after the batch. Plugged into an unchanged server with
 * {@code -Djdbc-read-journal.dao=io.fiberlb.bench.audit.IndexedReadJournalDao} and this class on the class path.
 *
 * <p>eventsByTag (project-wide StreamEvents, the export): the plugin's query filters
 * {@code journal.ordering > offset AND journal.ordering <= max} and sorts by {@code journal.ordering}. H2 then drives
 * the join from the {@code (tag, event_id)} index with the tag alone, joins every event of the project (copying each
 * BLOB into the result), sorts them all and keeps the first batch (500): each batch costs the whole rest of the
 * project's history, so an export is quadratic. Here the range and the order are on {@code event_tag.event_id}
 * (equal to the ordering by the join), ordered by the index's columns {@code (tag, event_id)}: H2 reads the index in
 * order and stops after the batch ("index sorted", scanCount = batch).
 *
 * <p>messages (currentEventsByPersistenceId, the replay of GetLoadBalancerAt): the plugin's first batch asks for
 * {@code sequence_number BETWEEN from AND Long.MAX_VALUE ORDER BY sequence_number LIMIT 500}; H2 does not see that
 * the primary key {@code (persistence_id, sequence_number)} already gives that order, so it reads every event of the
 * load balancer (100,000 for a long-lived one), sorts them and keeps 500. Later batches are windows of 500 and cheap.
 * Here the order is by {@code (persistence_id, sequence_number)}: index sorted, 500 rows read.
 *
 * <p>Everything else (deserialization, envelopes, the read journal's flow control) is the plugin's own.
 */
public class IndexedReadJournalDao extends DefaultReadJournalDao {
  private static final String TAG_SQL = "SELECT j.\"ordering\", j.\"deleted\", j.\"persistence_id\", j.\"sequence_number\","
      + " j.\"writer\", j.\"write_timestamp\", j.\"adapter_manifest\", j.\"event_payload\", j.\"event_ser_id\","
      + " j.\"event_ser_manifest\", j.\"meta_payload\", j.\"meta_ser_id\", j.\"meta_ser_manifest\""
      + " FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
      + " WHERE t.\"tag\" = ? AND t.\"event_id\" > ? AND t.\"event_id\" <= ? AND j.\"deleted\" = FALSE"
      + " ORDER BY t.\"tag\", t.\"event_id\" LIMIT ?";

  private static final String MESSAGES_SQL = "SELECT \"ordering\", \"deleted\", \"persistence_id\","
      + " \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
      + " \"event_ser_id\", \"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\", \"meta_ser_manifest\""
      + " FROM \"event_journal\" WHERE \"deleted\" = FALSE AND \"persistence_id\" = ?"
      + " AND \"sequence_number\" >= ? AND \"sequence_number\" <= ?"
      + " ORDER BY \"persistence_id\", \"sequence_number\" LIMIT ?";

  private final Serialization serialization;
  private final JdbcBackend.JdbcDatabaseDef database;

  public IndexedReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config,
      Serialization serialization, ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    this.database = db;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public org.apache.pekko.stream.scaladsl.Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>,
      Object>>, NotUsed> eventsByTag(String tag, long offset, long maxOffset, long max) {
    Source<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>, NotUsed> rows =
        Source.lazySource(() -> Source.from(query(tag, offset, maxOffset, max)))
            .mapMaterializedValue(x -> NotUsed.getInstance());
    return rows.withAttributes(ActorAttributes.dispatcher("pekko.actor.default-blocking-io-dispatcher")).asScala();
  }

  @Override
  public org.apache.pekko.stream.scaladsl.Source<Try<Tuple2<PersistentRepr, Object>>, NotUsed> messages(
      String persistenceId, long fromSequenceNr, long toSequenceNr, long max) {
    Source<Try<Tuple2<PersistentRepr, Object>>, NotUsed> rows =
        Source.lazySource(() -> Source.from(messagesQuery(persistenceId, fromSequenceNr, toSequenceNr, max)))
            .mapMaterializedValue(x -> NotUsed.getInstance());
    return rows.withAttributes(ActorAttributes.dispatcher("pekko.actor.default-blocking-io-dispatcher")).asScala();
  }

  private List<Try<Tuple2<PersistentRepr, Object>>> messagesQuery(String persistenceId, long from, long to, long max)
      throws SQLException {
    var out = new ArrayList<Try<Tuple2<PersistentRepr, Object>>>();
    try (Connection c = database.source().createConnection(); PreparedStatement ps = c.prepareStatement(MESSAGES_SQL)) {
      ps.setString(1, persistenceId);
      ps.setLong(2, from);
      ps.setLong(3, to);
      ps.setLong(4, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(PekkoSerialization.fromRow(serialization, row(rs)));
      }
    }
    return out;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static JournalPekkoSerializationRow row(ResultSet rs) throws SQLException {
    Integer metaSerId = (Integer) rs.getObject(12);
    return new JournalPekkoSerializationRow(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4),
        rs.getString(5), rs.getLong(6), rs.getString(7), rs.getBytes(8), rs.getInt(9), rs.getString(10),
        Option.apply(rs.getBytes(11)), (Option) Option.apply(metaSerId), Option.apply(rs.getString(13)));
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>> query(String tag,
      long offset, long maxOffset, long max) throws SQLException {
    var out = new ArrayList<Try<Tuple3<PersistentRepr, scala.collection.immutable.Set<String>, Object>>>();
    scala.collection.immutable.Set<String> noTags = (scala.collection.immutable.Set<String>) (Object)
        scala.collection.immutable.Set$.MODULE$.empty();
    try (Connection c = database.source().createConnection(); PreparedStatement ps = c.prepareStatement(TAG_SQL)) {
      ps.setString(1, tag);
      ps.setLong(2, offset);
      ps.setLong(3, maxOffset);
      ps.setLong(4, max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Try<Tuple2<PersistentRepr, Object>> r = PekkoSerialization.fromRow(serialization, row(rs));
          if (r.isSuccess()) {
            Tuple2<PersistentRepr, Object> v = r.get();
            out.add(new Success<>(new Tuple3<>(v._1(), noTags, v._2())));
          } else {
            out.add(new Failure<>(r.failed().get()));
          }
        }
      }
    }
    return out;
  }
}
