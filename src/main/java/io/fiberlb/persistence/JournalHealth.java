package io.fiberlb.persistence;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Whether the journal's database answers, checked every {@code interval} over a connection of its own with a short
 * timeout: a circuit breaker for writes. While it does not answer, the API refuses writes at once with UNAVAILABLE
 * saying so, instead of letting each one wait for the ask timeout; reads (served from the entities' memory) and
 * traffic go on. For the embedded H2 file there is nothing to lose touch with: always available.
 */
public final class JournalHealth implements Supplier<String>, AutoCloseable {
  private final ScheduledExecutorService timer;
  private volatile String problem; // null while the database answers
  private Connection connection;

  private JournalHealth(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Why the journal is unavailable now, or null when it answers. */
  @Override
  public String get() {
    return problem;
  }

  public static JournalHealth start(Config config) {
    if (!config.getString("fiberlb.database.kind").equals("postgres")) return new JournalHealth(null);
    Duration interval = config.getDuration("fiberlb.database.health-interval");
    Duration timeout = config.getDuration("fiberlb.database.health-timeout");
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fiberlb-journal-health");
      t.setDaemon(true);
      return t;
    });
    JournalHealth h = new JournalHealth(timer);
    String url = config.getString("fiberlb.database.url");
    Properties props = new Properties();
    props.setProperty("user", config.getString("fiberlb.database.user"));
    props.setProperty("password", config.getString("fiberlb.database.password"));
    long seconds = Math.max(1, timeout.toSeconds()); // PgJDBC's timeouts are whole seconds
    props.setProperty("connectTimeout", Long.toString(seconds));
    props.setProperty("socketTimeout", Long.toString(seconds));
    props.setProperty("loginTimeout", Long.toString(seconds));
    props.setProperty("ApplicationName", "fiberlb-journal-health");
    timer.scheduleWithFixedDelay(() -> h.check(url, props, (int) seconds), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return h;
  }

  private void check(String url, Properties props, int timeoutSeconds) {
    try {
      if (connection == null || connection.isClosed()) connection = DriverManager.getConnection(url, props);
      try (Statement st = connection.createStatement()) {
        st.setQueryTimeout(timeoutSeconds);
        st.execute("SELECT 1");
      }
      if (problem != null) org.slf4j.LoggerFactory.getLogger(JournalHealth.class).info("the journal database answers again");
      problem = null;
    } catch (SQLException | RuntimeException e) {
      if (problem == null) {
        org.slf4j.LoggerFactory.getLogger(JournalHealth.class).warn("the journal database does not answer ({}):"
            + " writes are refused until it does", e.getMessage());
      }
      problem = "the journal database at " + Schema.redact(url) + " does not answer (" + e.getMessage() + ")";
      try {
        if (connection != null) connection.close();
      } catch (SQLException ignored) {
        // gone anyway
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    if (timer != null) timer.shutdownNow();
  }
}
