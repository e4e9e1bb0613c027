package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.LoadBalancer;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The journal's PostgreSQL goes away while a node serves: writes answer UNAVAILABLE within about a second, saying
 * the journal does not answer; reads and traffic go on, including on the load balancer being written; when the
 * database is back, writes succeed again with no restart. A PostgreSQL of its own (.ci/postgres), stopped by PID.
 */
class JournalOutageTest {

  private static String pg(String command, Path dir) throws Exception {
    Process p = new ProcessBuilder(".ci/postgres", command, dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(".ci/postgres " + command + ": " + out).isZero();
    return out;
  }

  private static Map<String, Object> settings(String address) {
    var settings = new HashMap<String, Object>(DataPlaneTest.FAST);
    settings.put("fiberlb.dataplane.engine", "netty");
    settings.putAll(Map.of("fiberlb.database.kind", "postgres", "fiberlb.database.url",
        "jdbc:postgresql://" + address + "/postgres", "fiberlb.database.user", "postgres",
        "fiberlb.database.password", "", "fiberlb.certificates.kek", Postgres.TEST_KEK));
    return settings;
  }

  /**
   * A write that reaches the load balancer before anyone knows the journal is gone fails in the journal; the entity
   * restarts to recover, but its data-plane runtime is kept: the VIP is served all along, and the entity writes
   * again once the database is back.
   */
  @Test
  void aWriteThatFailsInTheJournalLeavesTheVipServing() throws Exception {
    Postgres.address();
    Path dir = Files.createTempDirectory("fiberlb-outage-pg");
    String address = pg("start", dir);
    var settings = settings(address);
    settings.put("fiberlb.database.health-interval", "1h"); // the fast refusal never sees the outage here
    try (var backend = new EchoBackend("b"); var server = new TestServer(settings)) {
      var api = server.as("outage");
      var served = FailoverProbe.servedLb(api, "o", java.util.List.of(backend));
      LoadBalancer lb = served.lb();
      int port = served.port();

      pg("stop", dir);
      // An update is journaled by the load balancer itself (a create also asks the project for quota first).
      var write = api.callAsync(api.lbs().updateLoadBalancer(), io.fiberlb.api.v1.UpdateLoadBalancerRequest.newBuilder()
          .setId(lb.getId()).setLoadBalancer(io.fiberlb.api.v1.LoadBalancerSpec.newBuilder().setDescription("lost"))
          .build()).toCompletableFuture();
      Poll.during(Duration.ofSeconds(15), Duration.ofMillis(100), () ->
          assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(2)))
              .as("the VIP is served while the journal is down").isEqualTo("b"));
      assertThat(write).as("the write during the outage did not succeed").isCompletedExceptionally();

      pg("resume", dir);
      assertThat(FailoverProbe.awaitWritable(api, lb.getId()).getName()).startsWith("after-");
      assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(5))).isEqualTo("b");
    } finally {
      pg("stop", dir);
    }
  }

  @Test
  void writesFailFastWhileTheJournalIsDownAndTrafficGoesOn() throws Exception {
    Postgres.address(); // skips (or fails in CI) where there is no PostgreSQL to run
    Path dir = Files.createTempDirectory("fiberlb-outage-pg");
    String address = pg("start", dir);
    var settings = settings(address);
    try (var backend = new EchoBackend("b"); var server = new TestServer(settings)) {
      var api = server.as("outage");
      var served = FailoverProbe.servedLb(api, "o", java.util.List.of(backend));
      LoadBalancer lb = served.lb();
      int port = served.port();

      pg("stop", dir);
      // The first writes may still reach the entity before the check notices; poll until one is refused at once.
      Status refused = Poll.until("a write refused as UNAVAILABLE naming the journal", Duration.ofSeconds(30), () -> {
        try {
          api.createPool(lb.getId(), "during-" + System.nanoTime());
          return Status.OK;
        } catch (RuntimeException e) {
          return TestServer.statusOf(e);
        }
      }, st -> st.getCode() == Status.Code.UNAVAILABLE && st.getDescription() != null
          && st.getDescription().contains("journal database"));
      long t0 = System.nanoTime();
      Status again = TestServer.statusOf(org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
          () -> api.createPool(lb.getId(), "fast")));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(again.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(ms).as("a write refused within a second while the journal is down").isLessThan(1000);
      assertThat(refused.getDescription()).contains("nothing was changed");
      // Reads and traffic go on.
      assertThat(api.getLb(lb.getId()).getName()).isEqualTo("o");
      assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(5))).isEqualTo("b");

      pg("resume", dir);
      assertThat(FailoverProbe.awaitWritable(api, lb.getId()).getName()).startsWith("after-");
      assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(5))).isEqualTo("b");
    } finally {
      pg("stop", dir);
    }
  }
}
