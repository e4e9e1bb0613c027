package io.fiberlb.metrics;

import com.typesafe.config.Config;
import java.util.List;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import org.apache.pekko.persistence.journal.Tagged;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * pekko-persistence-jdbc's journal, counting the events it has written ({@code fiberlb_events_persisted_total}).
 * Configured as {@code jdbc-journal.class} in application.conf.
 *
 * <p>Why here and not in the entities: every event of every entity type passes through this one method, so the
 * entities need no metrics code at all; and it counts only writes the database confirmed, which a counter beside
 * {@code Effect().persist} would get right only in its {@code thenRun}. Sharding's own records (remember-entities,
 * written through the same journal) are left out: their persistence ids have no {@code Type|id} form.
 */
public final class CountingJournal extends JdbcAsyncWriteJournal {
  private final NodeMetrics metrics;

  public CountingJournal(Config config) {
    super(config);
    this.metrics = NodeMetrics.get(context().system());
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    Future<Seq<Try<BoxedUnit>>> written = super.asyncWriteMessages(messages);
    // Callbacks of the CompletionStage view run on the thread that completes the write; counting is all they do.
    FutureConverters.asJava(written).thenAccept(results -> count(CollectionConverters.asJava(messages),
        CollectionConverters.asJava(results)));
    return written;
  }

  /** {@code results} is empty when every write succeeded, else one result per write, in order. */
  private void count(List<AtomicWrite> writes, List<Try<BoxedUnit>> results) {
    for (int i = 0; i < writes.size(); i++) {
      if (!results.isEmpty() && results.get(i).isFailure()) continue;
      AtomicWrite write = writes.get(i);
      String pid = write.persistenceId();
      int bar = pid.indexOf('|');
      if (bar <= 0) continue;
      String entity = pid.substring(0, bar);
      for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
        Object event = repr.payload() instanceof Tagged t ? t.payload() : repr.payload();
        metrics.eventPersisted(entity, event.getClass().getSimpleName());
      }
    }
  }
}
