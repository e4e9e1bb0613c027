package io.fiberlb.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates the journal tables from the DDL this project owns ({@code db/h2.sql}, {@code db/postgres.sql}) before
 * the actor system starts. Every statement is idempotent, so it runs at every start.
 */
public final class Schema {
  private Schema() {}

  /** Arbitrary, fixed: the advisory lock that serialises schema creation across nodes ("FLB" in ASCII). */
  private static final long LOCK_ID = 0x464C42L;

  /** Where {@code fiberlb.database.kind = postgres} points when no {@code fiberlb.database.url} names a server. */
  public static final String DEFAULT_POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/fiberlb";

  /**
   * The journal's database settings for {@code fiberlb.database.kind} ({@code FIBERLB_DB_KIND}), put over the loaded
   * configuration: the slick profile and JDBC driver of that kind, and for {@code postgres} a PostgreSQL URL when
   * the URL is still the embedded H2 default. So {@code FIBERLB_DB_KIND=postgres} works on its own, as the README's
   * table says; conf/postgres.conf sets the same values.
   */
  public static Config withDatabaseKind(Config config) {
    String kind = config.getString("fiberlb.database.kind");
    Map<String, Object> over = new HashMap<>();
    // The journal's connections and sharding's own (application.conf, jdbc-journal-sharding): one database.
    for (String db : List.of("slick", "sharding")) {
      String slick = "pekko-persistence-jdbc.shared-databases." + db + ".";
      switch (kind) {
        case "h2" -> {
          over.put(slick + "profile", "slick.jdbc.H2Profile$");
          over.put(slick + "db.driver", "org.h2.Driver");
        }
        case "postgres" -> {
          over.put(slick + "profile", "slick.jdbc.PostgresProfile$");
          over.put(slick + "db.driver", "org.postgresql.Driver");
          if (config.getString("fiberlb.database.url").startsWith("jdbc:h2:")) {
            over.put("fiberlb.database.url", DEFAULT_POSTGRES_URL);
            over.put(slick + "db.url", DEFAULT_POSTGRES_URL);
          }
        }
        default -> throw new IllegalArgumentException(
            "fiberlb.database.kind (FIBERLB_DB_KIND): must be h2 or postgres, got '" + kind + "'");
      }
    }
    String url = over.containsKey("fiberlb.database.url") ? DEFAULT_POSTGRES_URL
        : config.getString("fiberlb.database.url");
    if (!url.startsWith(kind.equals("h2") ? "jdbc:h2:" : "jdbc:postgresql:")) {
      throw new IllegalArgumentException("fiberlb.database.url (FIBERLB_DB_URL): database kind " + kind + " needs a "
          + (kind.equals("h2") ? "jdbc:h2:" : "jdbc:postgresql:") + " URL, got '" + redact(url)
          + "' (set FIBERLB_DB_KIND to match)");
    }
    return ConfigFactory.parseMap(over).withFallback(config);
  }

  /**
   * Creates what is missing of the schema. For H2, the connection stays open until the returned handle is closed:
   * closing an embedded database's last connection makes H2 compact the file (seconds for a journal of gigabytes,
   * docs/benchmarks.md), so the caller keeps it open until the node stops and that never happens on the start path.
   */
  public static AutoCloseable ensureAndHold(Config config) {
    Connection held = ensure(config, config.getString("fiberlb.database.kind").equals("h2"));
    return () -> {
      if (held != null) held.close();
    };
  }

  /** Creates what is missing of the schema, and closes its connection (H2 compacts the file then). */
  public static void ensure(Config config) {
    ensure(config, false);
  }

  private static Connection ensure(Config config, boolean hold) {
    String kind = config.getString("fiberlb.database.kind");
    String url = config.getString("fiberlb.database.url");
    if (kind.equals("h2")) {
      try {
        Files.createDirectories(Path.of(config.getString("fiberlb.data-dir")));
      } catch (IOException e) {
        throw new IllegalStateException("cannot create data directory " + config.getString("fiberlb.data-dir") + ": " + e.getMessage(), e);
      }
    }
    String script = read("/db/" + kind + ".sql");
    Connection c = null;
    try {
      c = DriverManager.getConnection(url, config.getString("fiberlb.database.user"),
          config.getString("fiberlb.database.password"));
      run(c, kind, script);
      if (hold) return c;
      c.close();
      return null;
    } catch (SQLException e) {
      closeQuietly(c);
      throw new IllegalStateException("cannot prepare the journal database at " + redact(url) + ": "
          + e.getMessage(), e);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) return;
    try {
      c.close();
    } catch (SQLException ignored) {
      // already failing
    }
  }

  private static void run(Connection c, String kind, String script) throws SQLException {
    try (Statement st = c.createStatement()) {
      boolean postgres = kind.equals("postgres");
      if (postgres && allPresent(st, script)) return; // a restart: no DDL, so no lock to wait for behind live writers
      if (postgres) {
        // Nodes starting together on an empty database would race in CREATE TABLE IF NOT EXISTS (PostgreSQL's
        // catalog has no IF NOT EXISTS atomicity): one transaction under an advisory lock makes them take turns.
        c.setAutoCommit(false);
        // Bounded: a lock held by a frozen node's session must end in an error (the supervisor retries), not a hang.
        st.execute("SET LOCAL lock_timeout = '30s'");
        st.execute("SELECT pg_advisory_xact_lock(" + LOCK_ID + ")");
      }
      for (String sql : script.split(";\\s*\\n")) {
        String stmt = sql.lines().filter(l -> !l.trim().startsWith("--")).reduce("", (a, b) -> a + "\n" + b).trim();
        if (!stmt.isEmpty()) st.execute(stmt);
      }
      if (postgres) c.commit();
    }
  }

  private static final java.util.regex.Pattern CREATED = java.util.regex.Pattern.compile(
      "(?i)create\\s+(?:unique\\s+)?(?:table|index)\\s+if\\s+not\\s+exists\\s+([a-z_][a-z0-9_]*)");

  /** Whether every table and index the script creates exists already (PostgreSQL; to_regclass takes no lock). */
  private static boolean allPresent(Statement st, String script) throws SQLException {
    var m = CREATED.matcher(script);
    boolean any = false;
    while (m.find()) {
      any = true;
      try (var rs = st.executeQuery("SELECT to_regclass('" + m.group(1) + "') IS NOT NULL")) {
        if (!rs.next() || !rs.getBoolean(1)) return false;
      }
    }
    return any;
  }

  private static String read(String resource) {
    try (InputStream in = Schema.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("no schema " + resource + " (fiberlb.database.kind must be h2 or postgres)");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JDBC URL with any password replaced by ***, for logs and error messages. */
  public static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
  }
}
