package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.Pool;
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
 * A node serves VIPs only while it reaches a majority of fiberlb.cluster.size nodes: alone in a cluster of three it
 * holds no socket and says why in the listener's status; once a second node joins, it serves.
 */
class ServingQuorumTest {
  final List<TestServer> nodes = new ArrayList<>();
  final List<EchoBackend> backends = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (EchoBackend b : backends) b.close();
    for (TestServer n : nodes) n.close();
  }

  static Map<String, Object> node(Path journal, String seed) {
    Map<String, Object> m = new HashMap<>(FailoverTest.node(journal, seed));
    m.put("fiberlb.cluster.size", 3);
    return m;
  }

  @Test
  void aNodeWithoutAMajorityHoldsNoVipAndServesOnceItHasOne() throws Exception {
    Path journal = Files.createTempDirectory("fiberlb-quorum");
    TestServer a = new TestServer(Files.createTempDirectory("fiberlb-qa"), node(journal, null));
    nodes.add(a);
    backends.add(new EchoBackend("a"));
    var api = a.as("quorum");
    LoadBalancer lb = api.createLb("q");
    Pool pool = api.createPool(lb.getId(), "p");
    api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", backends.get(0).port());
    int port = DataPlaneTest.freePort();
    Listener l = api.createListener(lb.getId(), port, pool.getId());

    Listener seen = Poll.until("the listener to report that the node has no majority", Duration.ofSeconds(20),
        () -> api.call(api.listeners().getListener(), GetListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
            .setId(l.getId()).build()), x -> x.getOperatingStatus() == Operating.Status.ERROR);
    assertThat(seen.getOperatingStatusReason()).isEqualTo("not serving: this node reaches 1 Up node(s) of 3 (a majority is 2)");
    assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofMillis(500))).as("no socket on the VIP").isEmpty();

    TestServer b = new TestServer(Files.createTempDirectory("fiberlb-qb"), node(journal, a.node().system().address().toString()));
    nodes.add(b);
    Poll.until("b Up", Duration.ofSeconds(30), () -> Cluster.get(b.node().system()).selfMember().status(),
        st -> st == MemberStatus.up());
    assertThat(FailoverTest.serving(lb.getVipAddress(), port, Duration.ofSeconds(20))).as("served with 2 of 3 Up").isEqualTo("a");
    Poll.until("the listener ONLINE again", Duration.ofSeconds(20),
        () -> api.call(api.listeners().getListener(), GetListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
            .setId(l.getId()).build()).getOperatingStatus(), st -> st == Operating.Status.ONLINE);
  }
}
