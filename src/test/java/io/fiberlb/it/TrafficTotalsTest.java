package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatsRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerStats;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * GetLoadBalancerStats runs on across a restart of the node, as Octavia's cumulative stats do: real traffic
 * through a real listener, the totals saved to the node's H2 file (periodically, and when it stops), read back when
 * the load balancer starts again, and deleted with it; /metrics keeps the process's own counters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrafficTotalsTest {
  private TestServer server;
  private EchoBackend echo;

  @BeforeAll
  void start() throws Exception {
    var config = new HashMap<String, Object>(DataPlaneTest.FAST);
    config.put("fiberlb.dataplane.stats-flush-interval", "200ms");
    server = new TestServer(Files.createTempDirectory("fiberlb-totals"), config);
    echo = new EchoBackend("a");
  }

  @AfterAll
  void stop() throws Exception {
    echo.close();
    server.close();
  }

  private static String exchange(LoadBalancer lb, int port) {
    return TcpClient.exchangeOnceServing(lb.getVipAddress(), port, "hello", Duration.ofSeconds(15));
  }

  private static LoadBalancerStats stats(TestServer.Api api, String lbId) {
    return api.call(api.lbs().getLoadBalancerStats(), GetLoadBalancerStatsRequest.newBuilder()
        .setLoadBalancerId(lbId).build());
  }

  /** The saved rows of a load balancer: kind/id to connections, read from the server's H2 file. */
  private Map<String, Long> savedRows(String lbId) {
    var out = new HashMap<String, Long>();
    var db = server.node().system().settings().config().getConfig("fiberlb.database");
    try (var c = DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"));
        var ps = c.prepareStatement("SELECT kind, id, connections FROM traffic_totals WHERE load_balancer_id = ?")) {
      ps.setString(1, lbId);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  @Test
  void countersSurviveARestartAndGoWithTheLoadBalancer() throws Exception {
    var api = server.as("totals");
    LoadBalancer lb = api.createLb("web");
    String pool = api.createPool(lb.getId(), "p").getId();
    String backend = api.createBackend(lb.getId(), pool, "127.0.0.1", echo.port()).getId();
    int port = DataPlaneTest.freePort();
    String listener = api.createListener(lb.getId(), port, pool).getId();
    for (int i = 0; i < 3; i++) assertThat(exchange(lb, port)).isEqualTo("hello#a");
    LoadBalancerStats before = Poll.until("three connections counted", Duration.ofSeconds(10),
        () -> stats(api, lb.getId()), s -> s.getTotalConnections() == 3 && s.getBytesOut() == 21);

    // Saved while it runs (a crash loses at most one interval), one row per listener and backend.
    Poll.until("the totals saved", Duration.ofSeconds(10), () -> savedRows(lb.getId()),
        rows -> Long.valueOf(3).equals(rows.get("listener/" + listener))
            && Long.valueOf(3).equals(rows.get("backend/" + backend)));

    server.stop();
    server.start();
    var again = server.as("totals");
    LoadBalancerStats after = Poll.until("the totals read back", Duration.ofSeconds(20),
        () -> stats(again, lb.getId()), s -> s.getTotalConnections() >= 3);
    assertThat(after.getTotalConnections()).isEqualTo(3);
    assertThat(after.getBytesIn()).isEqualTo(before.getBytesIn());
    assertThat(after.getBytesOut()).isEqualTo(21);
    assertThat(after.getBackendsList()).singleElement().satisfies(b -> assertThat(b.getTotalConnections()).isEqualTo(3));
    // Prometheus counters stay the process's own (rate() handles a restart; a total read back lower than the last
    // scrape, after a crash, would read as a reset and count everything again).
    Scrape scraped = Scrape.of(server.node().metricsPort());
    assertThat(scraped.find("fiberlb_listener_connections_total", Map.of("listener", listener))).singleElement()
        .satisfies(x -> assertThat(x.value()).isZero());

    // Counting goes on from there.
    exchange(lb, port);
    Poll.until("the fourth connection", Duration.ofSeconds(10), () -> stats(again, lb.getId()),
        s -> s.getTotalConnections() == 4 && s.getBytesOut() == 28);
    Poll.until("the fourth saved", Duration.ofSeconds(10), () -> savedRows(lb.getId()),
        rows -> Long.valueOf(4).equals(rows.get("listener/" + listener)));
    assertThat(Scrape.of(server.node().metricsPort()).sum("fiberlb_listener_connections_total",
        Map.of("listener", listener))).isEqualTo(1);

    // Deleted: its totals go too (a new load balancer never inherits them).
    again.call(again.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb.getId())
        .setCascade(true).build());
    Poll.until("the totals deleted", Duration.ofSeconds(10), () -> savedRows(lb.getId()), Map::isEmpty);
  }
}
