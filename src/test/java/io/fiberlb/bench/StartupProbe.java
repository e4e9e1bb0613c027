package io.fiberlb.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.persistence.Schema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Locale;
import java.util.Map;

/**
 * Times the H2 part of a server start on a copy of a data directory (no server running on it): what
 * {@link Schema#ensure} costs (open the file, run the DDL, close, which makes H2 compact the file), what a second
 * open and close costs, and the file size before and after. A diagnostic for docs/benchmarks.md, not a benchmark.
 *
 * <pre>StartupProbe DATA_DIR [open-first]</pre>
 * {@code open-first} opens and closes the database once before Schema.ensure, so that H2's class loading and the
 * compaction on close are not counted in Schema.ensure's time.
 */
public final class StartupProbe {
  private StartupProbe() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String url = "jdbc:h2:file:" + dir + "/fiberlb;DATABASE_TO_UPPER=false;WRITE_DELAY=0";
    Config config = ConfigFactory.parseMap(Map.of("fiberlb.data-dir", dir.toString(), "fiberlb.database.url", url))
        .withFallback(ConfigFactory.defaultApplication()).withFallback(ConfigFactory.defaultReference()).resolve();
    Path file = dir.resolve("fiberlb.mv.db");
    System.out.printf(Locale.ROOT, "file %s: %.1f MB%n", file, Files.size(file) / 1e6);

    if (args.length > 1 && args[1].equals("open-first")) {
      long t = System.nanoTime();
      try (Connection c = DriverManager.getConnection(url, "fiberlb", "fiberlb")) {
        System.out.printf(Locale.ROOT, "first open (H2 %s classes load here) %.0f ms",
            c.getMetaData().getDatabaseProductVersion(), (System.nanoTime() - t) / 1e6);
        t = System.nanoTime();
      }
      System.out.printf(Locale.ROOT, ", close %.0f ms; file now %.1f MB%n", (System.nanoTime() - t) / 1e6,
          Files.size(file) / 1e6);
    }
    long t0 = System.nanoTime();
    Schema.ensure(config);
    long t1 = System.nanoTime();
    System.out.printf(Locale.ROOT, "Schema.ensure (open, DDL, close): %.0f ms; file now %.1f MB%n", (t1 - t0) / 1e6,
        Files.size(file) / 1e6);

    for (int i = 1; i <= 2; i++) {
      long t2 = System.nanoTime();
      try (Connection c = DriverManager.getConnection(url, "fiberlb", "fiberlb")) {
        long t3 = System.nanoTime();
        long rows;
        try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM PUBLIC.\"event_journal\"")) {
          rs.next();
          rows = rs.getLong(1);
        }
        long t4 = System.nanoTime();
        System.out.printf(Locale.ROOT, "open %d: %.0f ms, count(*) of %d journal rows %.0f ms,", i, (t3 - t2) / 1e6,
            rows, (t4 - t3) / 1e6);
        t2 = System.nanoTime();
      }
      System.out.printf(Locale.ROOT, " close %.0f ms; file now %.1f MB%n", (System.nanoTime() - t2) / 1e6,
          Files.size(file) / 1e6);
    }
  }
}
