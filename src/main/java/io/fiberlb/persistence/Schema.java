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
      for (String sql : script.split(";\\s*\\n")) {
        String stmt = sql.lines().filter(l -> !l.trim().startsWith("--")).reduce("", (a, b) -> a + "\n" + b).trim();
        if (!stmt.isEmpty()) st.execute(stmt);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot prepare the journal database at " + url + ": " + e.getMessage(), e);
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
}
