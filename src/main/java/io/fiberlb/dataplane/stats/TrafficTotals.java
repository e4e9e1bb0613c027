package io.fiberlb.dataplane.stats;

import io.fiberlb.dataplane.stats.StatsRegistry.LoadBalancerStats;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the traffic counters of the load balancers running on this node across restarts and moves, as Octavia's
 * cumulative stats are: each load balancer's totals (one row per listener and backend in table
 * {@code traffic_totals}) are read back when it starts here (as {@link TrafficCounters#before}), saved every
 * interval when they changed, saved once more when it stops here (moved away, or the node stops gracefully), and
 * deleted with it. Only this node's load balancers are written, each by the one node that runs it.
 *
 * <p>Why a small table rather than events: counters change with every connection, and the journal is never
 * purged; a row per listener or backend, rewritten in place, keeps the cost flat. A crash loses at most one interval
 * of counting. Everything runs on one thread of its own, over one connection of its own; nothing here is on the
 * path of a connection.
 */
public final class TrafficTotals implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrafficTotals.class);
  private static final String LISTENER = "listener";
  private static final String BACKEND = "backend";
  // Unquoted lower-case names: PostgreSQL folds them to lower case, and H2 runs with DATABASE_TO_UPPER=false.
  private static final String SELECT = "SELECT kind, id, connections, bytes_in, bytes_out, rejected, connect_failures,"
      + " request_errors, dropped_datagrams FROM traffic_totals WHERE load_balancer_id = ?";
  private static final String DELETE = "DELETE FROM traffic_totals WHERE load_balancer_id = ?";
  private static final String INSERT = "INSERT INTO traffic_totals (load_balancer_id, kind, id, connections, bytes_in,"
      + " bytes_out, rejected, connect_failures, request_errors, dropped_datagrams, saved_at)"
      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** One row: the counters that only grow (open connections are not a total). */
  record Row(String kind, String id, long connections, long bytesIn, long bytesOut, long rejected,
      long connectFailures, long requestErrors, long droppedDatagrams) {
    static Row of(String kind, String id, TrafficCounters c) {
      return new Row(kind, id, c.totalConnections(), c.totalBytesIn(), c.totalBytesOut(), c.totalRejected(),
          c.totalConnectFailures(), c.totalErrors(), c.totalDatagramsDropped());
    }

    /** Sets what the counters counted before (this process counted nothing of it). */
    void restoreInto(TrafficCounters c) {
      c.before = new TrafficCounters.Before(connections, bytesIn, bytesOut, rejected, connectFailures, requestErrors,
          droppedDatagrams);
    }
  }

  private final ScheduledExecutorService thread;
  private final StatsRegistry stats;
  private final String url;
  private final String user;
  private final String password;
  private Connection connection;
  /** Load balancer id to the rows saved last (or read back): a save that would write the same is skipped. */
  private final Map<String, List<Row>> saved = new HashMap<>();

  private TrafficTotals(StatsRegistry stats, String url, String user, String password) {
    this.stats = stats;
    this.url = url;
    this.user = user;
    this.password = password;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fiberlb-traffic-totals");
      t.setDaemon(true);
      return t;
    });
  }

  /** Saves every {@code interval}; null when {@code interval} is zero (counters are not kept). */
  public static TrafficTotals start(StatsRegistry stats, Duration interval, String url, String user, String password) {
    if (interval.isZero() || interval.isNegative()) return null;
    var totals = new TrafficTotals(stats, url, user, password);
    long ms = interval.toMillis();
    totals.thread.scheduleWithFixedDelay(totals::saveAll, ms, ms, TimeUnit.MILLISECONDS);
    return totals;
  }

  /**
   * Reads a load balancer's saved totals into its counters' {@code before}: called once it runs here with its
   * listeners and backends in place. Until that is done its counters are never saved (they would overwrite the
   * totals with less); a failed read is tried again at the next interval.
   */
  public void restore(LoadBalancerStats lb) {
    thread.execute(() -> restoreNow(lb));
  }

  /** The load balancer stopped here (moved, or the node stops): its counters as they are now. */
  public void stopped(LoadBalancerStats lb) {
    thread.execute(() -> {
      if (lb.restored) save(lb);
      saved.remove(lb.lbId);
    });
  }

  /** The load balancer was deleted: its totals go with it. */
  public void deleted(String lbId) {
    thread.execute(() -> {
      saved.remove(lbId);
      try {
        update(DELETE, lbId);
      } catch (SQLException e) {
        log.warn("could not delete the traffic totals of deleted load balancer {}: {}", lbId, e.getMessage());
        reconnect();
      }
    });
  }

  /** Saves everything still running here and waits for it (a graceful stop), then closes the connection. */
  @Override
  public void close() {
    thread.execute(this::saveAll);
    thread.shutdown();
    try {
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) log.warn("traffic totals: not saved within 10 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reconnect();
  }

  private void saveAll() {
    for (LoadBalancerStats lb : stats.all()) {
      if (lb.restored) save(lb);
      else restoreNow(lb);
    }
  }

  private void restoreNow(LoadBalancerStats lb) {
    if (lb.restored) return;
    var rows = new ArrayList<Row>();
    try (PreparedStatement ps = connection().prepareStatement(SELECT)) {
      ps.setString(1, lb.lbId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
              rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9)));
        }
      }
    } catch (SQLException e) {
      log.warn("could not read the traffic totals of load balancer {} (tried again in a moment): {}", lb.lbId,
          e.getMessage());
      reconnect();
      return;
    }
    for (Row r : rows) {
      TrafficCounters c = (r.kind().equals(LISTENER) ? lb.listeners : lb.backends).get(r.id());
      if (c != null) r.restoreInto(c); // a listener or backend deleted meanwhile has no counters any more
    }
    lb.restored = true;
    saved.put(lb.lbId, rows(lb));
  }

  private static List<Row> rows(LoadBalancerStats lb) {
    var out = new ArrayList<Row>();
    lb.listeners.forEach((id, c) -> out.add(Row.of(LISTENER, id, c)));
    lb.backends.forEach((id, c) -> out.add(Row.of(BACKEND, id, c)));
    out.sort(java.util.Comparator.comparing(Row::kind).thenComparing(Row::id));
    return out;
  }

  /** Rewrites the load balancer's rows in one transaction, unless they are what was saved last. */
  private void save(LoadBalancerStats lb) {
    List<Row> now = rows(lb);
    if (now.equals(saved.get(lb.lbId))) return;
    try {
      Connection c = connection();
      c.setAutoCommit(false);
      try (PreparedStatement d = c.prepareStatement(DELETE); PreparedStatement i = c.prepareStatement(INSERT)) {
        d.setString(1, lb.lbId);
        d.executeUpdate();
        long at = System.currentTimeMillis();
        for (Row r : now) {
          i.setString(1, lb.lbId);
          i.setString(2, r.kind());
          i.setString(3, r.id());
          i.setLong(4, r.connections());
          i.setLong(5, r.bytesIn());
          i.setLong(6, r.bytesOut());
          i.setLong(7, r.rejected());
          i.setLong(8, r.connectFailures());
          i.setLong(9, r.requestErrors());
          i.setLong(10, r.droppedDatagrams());
          i.setLong(11, at);
          i.addBatch();
        }
        if (!now.isEmpty()) i.executeBatch();
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      saved.put(lb.lbId, now);
    } catch (SQLException e) {
      log.warn("could not save the traffic totals of load balancer {} (tried again in a moment): {}", lb.lbId,
          e.getMessage());
      reconnect();
    }
  }

  private void update(String sql, String lbId) throws SQLException {
    try (PreparedStatement ps = connection().prepareStatement(sql)) {
      ps.setString(1, lbId);
      ps.executeUpdate();
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) connection = DriverManager.getConnection(url, user, password);
    return connection;
  }

  private void reconnect() {
    try {
      if (connection != null) connection.close();
    } catch (SQLException ignored) {
      // gone anyway
    }
    connection = null;
  }
}
