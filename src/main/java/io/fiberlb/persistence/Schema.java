package io.fiberlb.persistence;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates the journal tables from the DDL this project owns ({@code db/h2.sql}, {@code db/postgres.sql}) before
 * the actor system starts. Every statement is idempotent, so it runs at every start.
 */
public final class Schema {
  private Schema() {}

  /** Arbitrary, fixed: the advisory lock that serialises schema creation across nodes ("FLB" in ASCII). */
  private static final long LOCK_ID = 0x464C42L;

  public static void ensure(Config config) {
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
    try (Connection c = DriverManager.getConnection(url, config.getString("fiberlb.database.user"),
        config.getString("fiberlb.database.password"));
        Statement st = c.createStatement()) {
      boolean postgres = kind.equals("postgres");
      if (postgres) {
        // Nodes starting together on an empty database would race in CREATE TABLE IF NOT EXISTS (PostgreSQL's
        // catalog has no IF NOT EXISTS atomicity): one transaction under an advisory lock makes them take turns.
        c.setAutoCommit(false);
        st.execute("SELECT pg_advisory_xact_lock(" + LOCK_ID + ")");
      }
      for (String sql : script.split(";\\s*\\n")) {
        String stmt = sql.lines().filter(l -> !l.trim().startsWith("--")).reduce("", (a, b) -> a + "\n" + b).trim();
        if (!stmt.isEmpty()) st.execute(stmt);
      }
      if (postgres) c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot prepare the journal database at " + redact(url) + ": "
          + e.getMessage(), e);
    }
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
