package io.fiberlb.api.standard;

import java.sql.Connection;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import slick.jdbc.JdbcBackend;

/**
 * Whether this node can do its work: the journal's database answers (a pooled connection is valid, looked at every
 * {@code interval} on the blocking dispatcher, never on a caller's thread) and this node is an Up member of its
 * cluster (not joining, not leaving).
 */
public final class Readiness {
  private final Cluster cluster;
  private final JdbcBackend.JdbcDatabaseDef db;
  private volatile boolean journal;

  public Readiness(ActorSystem<?> system, Duration interval) {
    this.cluster = Cluster.get(system);
    // The database the journal plugins share (use-shared-db): the journal's own pool.
    this.db = ((SlickExtensionImpl) SlickExtension.get(Adapter.toClassic(system)))
        .database(system.settings().config().getConfig("jdbc-journal")).database();
    system.scheduler().scheduleAtFixedRate(Duration.ZERO, interval, this::probe,
        system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  private void probe() {
    try (Connection c = db.source().createConnection()) {
      journal = c.isValid(2);
    } catch (Exception e) {
      journal = false;
    }
  }

  public boolean ready() {
    return journal && cluster.selfMember().status().equals(MemberStatus.up());
  }
}
