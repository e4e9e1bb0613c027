package io.fiberlb.dataplane;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fiberlb.port.DesiredLoadBalancer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each load balancer's data plane last served, kept so that it can serve again the moment its entity starts on
 * a node (after a restart, or on a survivor after a crash) instead of after the entity has recovered from the journal:
 * with thousands of load balancers, recovery is the long part of a restart (docs/architecture.md, "Serving before
 * recovery").
 *
 * <p>Table {@code served_configs}: one row per load balancer, its {@link DesiredLoadBalancer} as JSON (ids and
 * settings only: the port's records carry no secrets, certificates are named by id), rewritten in place when what
 * runs changes and deleted with the load balancer. The journal stays the truth: a row may lag behind it (a crash
 * between a change and its save), and then the entity's recovery, which follows at once, converges the data plane on
 * the journal's configuration as any change does. A row that cannot be read (written by an older version with
 * another shape) counts as none.
 *
 * <p>Reads are batched: every load balancer starting on this node asks for its row, and each query takes whatever
 * asks have piled up meanwhile (at most {@value #BATCH} ids), so 10,000 starts cost tens of queries. Writes are
 * coalesced the same way (the latest configuration of a load balancer wins) on a thread and connection of their
 * own; nothing here is on the path of a connection.
 */
public final class ServedConfigs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServedConfigs.class);
  static final int BATCH = 500;
  // Unquoted lower-case names: PostgreSQL folds them to lower case, and H2 runs with DATABASE_TO_UPPER=false.
  private static final String DELETE = "DELETE FROM served_configs WHERE load_balancer_id = ?";
  private static final String INSERT =
      "INSERT INTO served_configs (load_balancer_id, config, saved_at) VALUES (?, ?, ?)";
  /** Marks a pending delete in {@link #pendingWrites}. */
  private static final byte[] DELETED = new byte[0];

  private final ObjectMapper json = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final String url;
  private final String user;
  private final String password;
  private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> daemon(r, "fiberlb-served-read"));
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> daemon(r, "fiberlb-served-write"));
  private Connection readConnection;
  private Connection writeConnection;

  /** Asks not yet sent to the database, by load balancer id (guarded by itself). */
  private final Map<String, List<CompletableFuture<Optional<DesiredLoadBalancer>>>> pendingReads =
      new LinkedHashMap<>();
  private boolean readScheduled;
  /** Configurations (or {@link #DELETED}) not yet written, by load balancer id (guarded by itself). */
  private final Map<String, byte[]> pendingWrites = new LinkedHashMap<>();
  private boolean writeScheduled;

  public ServedConfigs(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The configuration last saved for {@code lbId}; empty when there is none or it cannot be read. Never fails. */
  public CompletionStage<Optional<DesiredLoadBalancer>> load(String lbId) {
    var answer = new CompletableFuture<Optional<DesiredLoadBalancer>>();
    synchronized (pendingReads) {
      pendingReads.computeIfAbsent(lbId, k -> new ArrayList<>(1)).add(answer);
      if (!readScheduled) {
        readScheduled = true;
        reader.execute(this::readPending);
      }
    }
    return answer;
  }

  /** Saves what runs now for {@code lbId} (soon, replacing any save not yet written). */
  public void save(String lbId, DesiredLoadBalancer desired) {
    byte[] bytes;
    try {
      bytes = json.writeValueAsBytes(desired);
    } catch (Exception e) { // records of the port: cannot fail but for a bug
      log.warn("could not encode the configuration of load balancer {}: {}", lbId, e.toString());
      return;
    }
    enqueueWrite(lbId, bytes);
  }

  /** The load balancer was deleted: its row goes. */
  public void delete(String lbId) {
    enqueueWrite(lbId, DELETED);
  }

  private void enqueueWrite(String lbId, byte[] bytes) {
    synchronized (pendingWrites) {
      pendingWrites.put(lbId, bytes);
      if (!writeScheduled) {
        writeScheduled = true;
        writer.execute(this::writePending);
      }
    }
  }

  /** Writes what is pending and waits for it (a graceful stop), then closes the connections. */
  @Override
  public void close() {
    writer.execute(this::writePending);
    writer.shutdown();
    reader.shutdown();
    try {
      if (!writer.awaitTermination(10, TimeUnit.SECONDS)) log.warn("served configurations: not saved within 10 s");
      reader.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    readConnection = closeQuietly(readConnection);
    writeConnection = closeQuietly(writeConnection);
  }

  // ------------------------------------------------------------------ reads

  private void readPending() {
    while (true) {
      Map<String, List<CompletableFuture<Optional<DesiredLoadBalancer>>>> batch = new HashMap<>();
      synchronized (pendingReads) {
        var it = pendingReads.entrySet().iterator();
        while (it.hasNext() && batch.size() < BATCH) {
          var e = it.next();
          batch.put(e.getKey(), e.getValue());
          it.remove();
        }
        if (batch.isEmpty()) {
          readScheduled = false;
          return;
        }
      }
      Map<String, DesiredLoadBalancer> found = Collections.emptyMap();
      try {
        found = query(new ArrayList<>(batch.keySet()));
      } catch (SQLException e) {
        log.warn("could not read {} served configurations (their load balancers serve after recovery): {}",
            batch.size(), e.getMessage());
        readConnection = closeQuietly(readConnection);
      }
      for (var e : batch.entrySet()) {
        Optional<DesiredLoadBalancer> answer = Optional.ofNullable(found.get(e.getKey()));
        e.getValue().forEach(f -> f.complete(answer));
      }
    }
  }

  private Map<String, DesiredLoadBalancer> query(List<String> ids) throws SQLException {
    if (readConnection == null) readConnection = DriverManager.getConnection(url, user, password);
    String sql = "SELECT load_balancer_id, config FROM served_configs WHERE load_balancer_id IN ("
        + String.join(",", Collections.nCopies(ids.size(), "?")) + ")";
    Map<String, DesiredLoadBalancer> out = new HashMap<>();
    try (PreparedStatement ps = readConnection.prepareStatement(sql)) {
      for (int i = 0; i < ids.size(); i++) ps.setString(i + 1, ids.get(i));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString(1);
          String text = rs.getString(2);
          try {
            DesiredLoadBalancer d = json.readValue(text, DesiredLoadBalancer.class);
            if (d != null && d.id().equals(id)) out.put(id, d);
          } catch (Exception e) { // another version's shape: serve after recovery
            log.debug("served configuration of load balancer {} not readable: {}", id, e.toString());
          }
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ writes

  private void writePending() {
    while (true) {
      Map<String, byte[]> batch = new LinkedHashMap<>();
      synchronized (pendingWrites) {
        var it = pendingWrites.entrySet().iterator();
        while (it.hasNext() && batch.size() < BATCH) {
          var e = it.next();
          batch.put(e.getKey(), e.getValue());
          it.remove();
        }
        if (batch.isEmpty()) {
          writeScheduled = false;
          return;
        }
      }
      try {
        write(batch);
      } catch (SQLException e) {
        // Not retried: the next change saves again, and a missing or old row only means serving after recovery.
        log.warn("could not save {} served configurations: {}", batch.size(), e.getMessage());
        writeConnection = closeQuietly(writeConnection);
      }
    }
  }

  private void write(Map<String, byte[]> batch) throws SQLException {
    if (writeConnection == null) {
      writeConnection = DriverManager.getConnection(url, user, password);
      writeConnection.setAutoCommit(false);
    }
    long now = System.currentTimeMillis();
    try (PreparedStatement del = writeConnection.prepareStatement(DELETE);
        PreparedStatement ins = writeConnection.prepareStatement(INSERT)) {
      for (var e : batch.entrySet()) {
        del.setString(1, e.getKey());
        del.addBatch();
        if (e.getValue() == DELETED) continue;
        ins.setString(1, e.getKey());
        ins.setString(2, new String(e.getValue(), StandardCharsets.UTF_8));
        ins.setLong(3, now);
        ins.addBatch();
      }
      del.executeBatch();
      ins.executeBatch();
      writeConnection.commit();
    } catch (SQLException e) {
      try {
        writeConnection.rollback();
      } catch (SQLException ignored) {
        // the connection is replaced below
      }
      throw e;
    }
  }

  private static Connection closeQuietly(Connection c) {
    if (c == null) return null;
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing a broken connection
    }
    return null;
  }
}
