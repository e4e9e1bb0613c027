package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.named;
import static io.fiberlb.dataplane.balance.Fixtures.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoundRobinTest {
  @Test
  void takesEachInTurnInConfigurationOrder() {
    assertThat(sequence(Balancers.roundRobin(named("abc", 1, 1, 1)), 7))
        .containsExactly("a", "b", "c", "a", "b", "c", "a");
  }

  @Test
  void ignoresWeightsOtherThanZero() {
    assertThat(sequence(Balancers.roundRobin(named("abc", 5, 1, 1)), 6)).containsExactly("a", "b", "c", "a", "b", "c");
    assertThat(sequence(Balancers.roundRobin(named("abc", 5, 0, 1)), 4)).containsExactly("a", "c", "a", "c");
  }

  @Test
  void skipsDownEndpoints() {
    List<Endpoint> abc = named("abc", 1, 1, 1);
    List<Endpoint> bDown = List.of(abc.get(0), abc.get(1).withHealthy(false), abc.get(2));
    assertThat(sequence(Balancers.roundRobin(bDown), 4)).containsExactly("a", "c", "a", "c");
  }

  @Test
  void aPoolRebuildContinuesTheRotation() {
    // A PoolBalancer shares one sequence across rebuilds: a health change does not send the next pick to "a".
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abcd", 1, 1, 1, 1));
    assertThat(sequence(pool, 2)).containsExactly("a", "b");
    pool.setHealthy("d:80", false);
    assertThat(sequence(pool, 4)).containsExactly("c", "a", "b", "c");
  }
}
