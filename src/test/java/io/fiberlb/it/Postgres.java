package io.fiberlb.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL that {@code .ci/run} starts for the suite ({@code .ci/postgres}: a free loopback port, user
 * postgres, trust authentication), named by {@code FIBERLB_TEST_POSTGRES=host:port}. Each test gets a database of
 * its own. Without that variable the PostgreSQL tests are skipped, saying so; with
 * {@code FIBERLB_TEST_POSTGRES_REQUIRED} set (as {@code .ci/run} does) they fail instead.
 */
public final class Postgres {
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private Postgres() {}

  /** host:port of the test server; skips (or fails, in CI) the calling test when there is none. */
  public static String address() {
    String address = System.getenv("FIBERLB_TEST_POSTGRES");
    if (address == null || address.isBlank()) {
      String why = "no PostgreSQL for this test: run it through .ci/run, or start one with"
          + " `.ci/postgres start DIR` and set FIBERLB_TEST_POSTGRES to the host:port it prints";
      if (System.getenv("FIBERLB_TEST_POSTGRES_REQUIRED") != null) Assertions.fail(why);
      Assumptions.abort(why);
    }
    return address;
  }

  /**
   * The certificate key-encryption key of test nodes on PostgreSQL (required there: every node of a cluster must read
   * the same one). A fixed test value, base64 of 32 bytes; never a production key.
   */
  public static final String TEST_KEK = "ZmliZXJsYi10ZXN0LWtlay0wMTIzNDU2Nzg5YWJjZGU=";

  /** A new empty database; the FiberLB settings that put a node's journal in it. */
  public static Map<String, Object> freshDatabase(String purpose) {
    String address = address();
    String name = "fiberlb_" + purpose.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "_") + "_"
        + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + address + "/postgres", "postgres", "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name + " on " + address, e);
    }
    return Map.of(
        "fiberlb.database.kind", "postgres",
        "fiberlb.database.url", "jdbc:postgresql://" + address + "/" + name,
        "fiberlb.database.user", "postgres",
        "fiberlb.database.password", "",
        "fiberlb.certificates.kek", TEST_KEK);
  }

  /** The same settings as environment variables, for a {@code bin/fiberlb server} process. */
  public static Map<String, String> asEnvironment(Map<String, Object> settings) {
    return Map.of(
        "FIBERLB_DB_KIND", "postgres",
        "FIBERLB_DB_URL", settings.get("fiberlb.database.url").toString(),
        "FIBERLB_DB_USER", "postgres",
        "FIBERLB_DB_PASSWORD", "",
        "FIBERLB_KEK", TEST_KEK);
  }
}
