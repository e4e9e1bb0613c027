package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static io.fiberlb.dataplane.balance.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PowerOfTwoChoicesTest {
  @Test
  void theTwoCandidatesAlwaysDifferSoTheBusierOfTwoIsNeverPicked() {
    List<Endpoint> ab = endpoints(1, 1);
    for (int i = 0; i < 5; i++) ab.get(0).connectionOpened();
    Balancer p2c = Balancers.powerOfTwoChoices(ab);
    for (int i = 0; i < 10_000; i++) assertThat(p2c.pick(client(i))).isSameAs(ab.get(1));
  }

  @Test
  void theMostLoadedEndpointIsNeverPicked() {
    List<Endpoint> ten = endpoints(10, i -> 1);
    for (int i = 0; i < 10; i++) for (int k = 0; k < i; k++) ten.get(i).connectionOpened();
    Balancer p2c = new PowerOfTwoChoicesBalancer(ten, seeded(5)); // the same draws every run
    int[] picks = new int[10];
    for (int i = 0; i < 100_000; i++) picks[ten.indexOf(p2c.pick(client(i)))]++;
    assertThat(picks[9]).isZero();
    // The idlest wins whenever it is one of the two: 1 - (9/10)(8/9) = 20% of picks; the others fall off.
    assertThat(picks[0]).isBetween(19_000, 21_000);
    for (int i = 1; i < 9; i++) assertThat(picks[i]).isLessThan(picks[i - 1]);
  }

  @Test
  void followsOpenAndCloseReports() {
    List<Endpoint> ab = endpoints(1, 1);
    Balancer p2c = Balancers.powerOfTwoChoices(ab);
    ab.get(0).connectionOpened();
    assertThat(p2c.pick(client(1))).isSameAs(ab.get(1));
    ab.get(1).connectionOpened();
    ab.get(1).connectionOpened();
    assertThat(p2c.pick(client(1))).isSameAs(ab.get(0));
    ab.get(1).connectionClosed();
    ab.get(1).connectionClosed();
    assertThat(p2c.pick(client(1))).isSameAs(ab.get(1));
  }

  @Test
  void whenEveryPickIsOpenedTheLoadStaysEven() {
    List<Endpoint> set = endpoints(20, i -> 1 + i % 2);
    Balancer p2c = new PowerOfTwoChoicesBalancer(set, seeded(7));
    for (int i = 0; i < 30_000; i++) p2c.pick(client(i)).connectionOpened();
    // Open connections per unit of weight: 1000 on average; two choices keep every endpoint within a few of it.
    for (Endpoint e : set) assertThat(e.openConnections() / (double) e.weight()).isBetween(990.0, 1010.0);
  }

  /** The alias table is exact: each endpoint's total probability over the n columns is exactly w / W. */
  @Test
  void theAliasTableIsExact() {
    Random random = new Random(5);
    for (int trial = 0; trial < 500; trial++) {
      int n = 1 + random.nextInt(50);
      int[] weights = new int[n];
      int total = 0;
      for (int i = 0; i < n; i++) total += weights[i] = 1 + random.nextInt(256);
      int[] threshold = new int[n];
      int[] alias = new int[n];
      PowerOfTwoChoicesBalancer.buildAliasTable(weights, total, threshold, alias);
      long[] mass = new long[n]; // in units of 1 / (n * W)
      for (int k = 0; k < n; k++) {
        assertThat(threshold[k]).isBetween(0, total);
        mass[k] += threshold[k];
        mass[alias[k]] += total - threshold[k];
      }
      for (int i = 0; i < n; i++) assertThat(mass[i]).isEqualTo((long) weights[i] * n);
    }
  }

  private static java.util.function.Supplier<java.util.random.RandomGenerator> seeded(long seed) {
    java.util.random.RandomGenerator g = new java.util.SplittableRandom(seed);
    return () -> g;
  }
}
