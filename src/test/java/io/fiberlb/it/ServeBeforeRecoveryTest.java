package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LoadBalancer;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A load balancer serves what it served last as soon as it starts on a node, before its entity has recovered from
 * the journal (table served_configs): real traffic through a real listener of a real server on an H2 file. To show
 * that the serving does not wait for recovery, the load balancer's events are made unreadable while the server is
 * down (their serializer manifest is changed): its entity cannot recover at all, yet its VIP serves; once the events
 * are readable again the entity recovers by itself (restarted with backoff, its runtime kept) and answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServeBeforeRecoveryTest {
  private TestServer server;
  private EchoBackend echo;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Files.createTempDirectory("fiberlb-served"), new HashMap<>(DataPlaneTest.FAST));
    echo = new EchoBackend("a");
  }

  @AfterAll
  void stop() throws Exception {
    echo.close();
    server.close();
  }

  private com.typesafe.config.Config database;

  /** A connection of the test's own to the server's H2 file (while the server runs, or not). */
  private Connection db() throws SQLException {
    if (database == null) database = server.node().system().settings().config().getConfig("fiberlb.database");
    return DriverManager.getConnection(database.getString("url"), database.getString("user"),
        database.getString("password"));
  }

  /** The saved configuration of a load balancer (JSON), or "" when it has none. */
  private String savedConfig(String lbId) {
    try (var c = db(); var ps = c.prepareStatement("SELECT config FROM served_configs WHERE load_balancer_id = ?")) {
      ps.setString(1, lbId);
      try (var rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : "";
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private int setManifest(String lbId, String from, String to) throws SQLException {
    try (var c = db(); var ps = c.prepareStatement("UPDATE event_journal SET event_ser_manifest = REPLACE("
        + "event_ser_manifest, ?, ?) WHERE persistence_id = ?")) {
      ps.setString(1, from);
      ps.setString(2, to);
      ps.setString(3, "LoadBalancer|" + lbId);
      return ps.executeUpdate();
    }
  }

  private static String exchange(LoadBalancer lb, int port) {
    return TcpClient.exchangeOnceServing(lb.getVipAddress(), port, "hello", Duration.ofSeconds(20));
  }

  private static io.grpc.Status.Code getCode(TestServer.Api api, String lbId) {
    try {
      api.call(api.lbs().getLoadBalancer(), GetLoadBalancerRequest.newBuilder().setId(lbId).build());
      return io.grpc.Status.Code.OK;
    } catch (RuntimeException e) {
      return TestServer.statusOf(e).getCode();
    }
  }

  @Test
  void servesItsLastConfigurationBeforeItsEntityHasRecovered() throws Exception {
    var api = server.as("served");
    LoadBalancer lb = api.createLb("web");
    String pool = api.createPool(lb.getId(), "p").getId();
    api.createBackend(lb.getId(), pool, "127.0.0.1", echo.port());
    int port = DataPlaneTest.freePort();
    api.createListener(lb.getId(), port, pool);
    assertThat(exchange(lb, port)).isEqualTo("hello#a");
    // Saved as it runs: the listener's port and the backend, ids and settings only.
    String saved = Poll.until("the served configuration saved", Duration.ofSeconds(10), () -> savedConfig(lb.getId()),
        s -> s.contains("\"protocolPort\":" + port) && s.contains("\"protocolPort\":" + echo.port()));
    assertThat(saved).contains(lb.getVipAddress()).doesNotContain("\"name\"");

    server.stop();
    // Its events can no longer be read: the entity cannot recover (until they can).
    String manifestPart = "LoadBalancerEvent";
    assertThat(setManifest(lb.getId(), manifestPart, "Unreadable")).isPositive();
    server.start();
    try {
      assertThat(exchange(lb, port)).as("served from its last configuration").isEqualTo("hello#a");
      var again = server.as("served");
      // The entity has not recovered: a read waits for it and times out (nothing else could answer it).
      assertThat(getCode(again, lb.getId())).isNotEqualTo(io.grpc.Status.Code.OK);
    } finally {
      setManifest(lb.getId(), "Unreadable", manifestPart);
    }
    var again = server.as("served");
    // Readable again: the entity recovers by itself (restarted with backoff; the runtime, its child, kept serving).
    Poll.until("the entity recovered", Duration.ofSeconds(40), () -> getCode(again, lb.getId()),
        s -> s == io.grpc.Status.Code.OK);
    assertThat(exchange(lb, port)).isEqualTo("hello#a");

    // Deleted: its row goes with it.
    again.call(again.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb.getId())
        .setCascade(true).build());
    Poll.until("the served configuration deleted", Duration.ofSeconds(10), () -> savedConfig(lb.getId()),
        String::isEmpty);
  }
}
