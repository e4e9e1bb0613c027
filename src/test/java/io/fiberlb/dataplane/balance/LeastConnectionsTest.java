package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static io.fiberlb.dataplane.balance.Fixtures.named;
import static io.fiberlb.dataplane.balance.Fixtures.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LeastConnectionsTest {
  private static void open(Endpoint e, int n) {
    for (int i = 0; i < n; i++) e.connectionOpened();
  }

  @Test
  void followsLiveOpenAndCloseReports() {
    List<Endpoint> abc = named("abc", 1, 1, 1);
    Endpoint a = abc.get(0);
    Endpoint b = abc.get(1);
    Endpoint c = abc.get(2);
    Balancer lc = Balancers.leastConnections(abc);
    open(a, 2);
    open(c, 1);
    assertThat(lc.pick(client(1))).isSameAs(b);
    open(b, 2);
    assertThat(lc.pick(client(1))).isSameAs(c); // a=2 b=2 c=1
    open(c, 2);
    a.connectionClosed();
    assertThat(lc.pick(client(1))).isSameAs(a); // a=1 b=2 c=3
    b.connectionClosed();
    b.connectionClosed();
    assertThat(lc.pick(client(1))).isSameAs(b); // a=1 b=0 c=3
  }

  @Test
  void tiesAreSpreadInRotation() {
    // Nobody reported anything yet (a burst): all counts 0.
    assertThat(sequence(Balancers.leastConnections(named("abc", 1, 1, 1)), 6))
        .containsExactly("a", "b", "c", "a", "b", "c");
    // a and c tied at 0, b busier: the rotation alternates between a and c.
    List<Endpoint> abc = named("abc", 1, 1, 1);
    open(abc.get(1), 1);
    assertThat(sequence(Balancers.leastConnections(abc), 6)).containsExactly("a", "c", "c", "a", "c", "c");
  }

  @Test
  void comparesOpenConnectionsPerUnitOfWeight() {
    List<Endpoint> ab = named("ab", 3, 1);
    Balancer lc = Balancers.leastConnections(ab);
    open(ab.get(0), 2);
    open(ab.get(1), 1);
    assertThat(lc.pick(client(1)).address()).isEqualTo("a"); // 2/3 < 1/1
    open(ab.get(0), 1);
    assertThat(lc.pick(client(1)).address()).isEqualTo("b"); // 3/3 = 1/1: a tie, and this scan starts at b
    assertThat(lc.pick(client(1)).address()).isEqualTo("a"); // the next one starts at a
  }

  @Test
  void whenCallersReportEveryOpenTheLoadFollowsTheWeights() {
    List<Endpoint> abc = named("abc", 3, 2, 1);
    Balancer lc = Balancers.leastConnections(abc);
    for (int i = 0; i < 600; i++) lc.pick(client(i)).connectionOpened();
    assertThat(abc).extracting(Endpoint::openConnections).containsExactly(300, 200, 100);
  }
}
