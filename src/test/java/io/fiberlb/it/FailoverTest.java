package io.fiberlb.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Pool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes of one cluster sharing one journal (two actor systems in this JVM on the same embedded H2 database;
 * in production the nodes share PostgreSQL). The node serving a load balancer leaves; sharding moves the load
 * balancer to the other node, which replays its journal and binds the same VIP and port again: traffic fails over
 * with no API call.
 */
class FailoverTest {
  final List<TestServer> nodes = new ArrayList<>();
  final List<EchoBackend> backends = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (EchoBackend b : backends) b.close();
    for (TestServer n : nodes) n.close();
  }

  static Map<String, Object> node(Path journal, String seed) {
    Map<String, Object> m = new HashMap<>(DataPlaneTest.FAST);
    m.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    m.put("fiberlb.database.url", "jdbc:h2:file:" + journal + "/fiberlb;DATABASE_TO_UPPER=false;WRITE_DELAY=0");
    if (seed != null) m.put("pekko.cluster.seed-nodes", List.of(seed));
    return m;
  }

  @Test
  void whenTheServingNodeLeavesTheOtherOneServesTheVip() throws IOException {
    Path journal = Files.createTempDirectory("fiberlb-failover");
    TestServer a = new TestServer(Files.createTempDirectory("fiberlb-a"), node(journal, null));
    nodes.add(a);
    String seed = a.node().system().address().toString();
    TestServer b = new TestServer(Files.createTempDirectory("fiberlb-b"), node(journal, seed));
    nodes.add(b);
    var joined = Poll.until(Duration.ofSeconds(30), () -> Cluster.get(b.node().system()).selfMember().status(),
        st -> st == MemberStatus.up());
    assertEquals(MemberStatus.up(), joined, "b joined a: " + Cluster.get(a.node().system()).state().members()
        + " / " + Cluster.get(b.node().system()).state().members());

    for (String n : List.of("a", "b")) backends.add(new EchoBackend(n));
    var api = a.as("failover");
    LoadBalancer lb = api.createLb("ha");
    Pool pool = api.createPool(lb.getId(), "p");
    for (EchoBackend e : backends) api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", e.port());
    int port = DataPlaneTest.freePort();
    api.createListener(lb.getId(), port, pool.getId());
    String vip = lb.getVipAddress();
    assertTrue(!serving(vip, port, Duration.ofSeconds(10)).isEmpty(), "served before the failover");

    TestServer serving = a.node().dataPlane().stats().find(lb.getId()) != null ? a : b;
    TestServer survivor = serving == a ? b : a;
    long left = System.nanoTime();
    serving.close();
    nodes.remove(serving);
    String who = serving(vip, port, Duration.ofSeconds(60));
    long tookMs = (System.nanoTime() - left) / 1_000_000;
    assertTrue(!who.isEmpty(), "the survivor serves the VIP");
    assertNotNull(survivor.node().dataPlane().stats().find(lb.getId()), "the load balancer runs on the survivor");
    System.out.println("failover: VIP served again " + tookMs + " ms after the serving node began to leave");
  }

  /** The first backend name served through vip:port within the limit, or "". */
  static String serving(String vip, int port, Duration limit) {
    return Poll.lastUntil(limit, () -> {
      try {
        return TcpClient.whoServes(vip, port);
      } catch (IOException e) {
        return "";
      }
    }, who -> !who.isEmpty());
  }
}
