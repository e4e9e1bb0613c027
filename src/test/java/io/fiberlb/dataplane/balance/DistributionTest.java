package io.fiberlb.dataplane.balance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Over 100,000 picks every algorithm gives each endpoint its share: the weight share for all but ROUND_ROBIN
 * (which ignores weights: an equal share). Round robin and smooth weighted round robin are exact; the others
 * are within 5% of the share (relative; e.g. 10% +- 0.5%), which is more than four standard deviations of the
 * random sampling for these shares. Clients are random (seeded), so the hashing algorithms see real spread.
 * Least connections and two choices run in a closed loop, the way a listener drives them: each pick opens a
 * connection and, past 1,000 open, a random open connection closes.
 */
class DistributionTest {
  private static final int PICKS = 100_000;

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void eachEndpointGetsItsShare(Algorithm algorithm) {
    for (int[] weights : new int[][] {{1, 2, 3, 4}, {5, 1, 1, 3, 10, 2, 7, 1, 4, 6}, {1, 1, 1}}) {
      List<Endpoint> set = Fixtures.endpoints(weights);
      // Two choices draws at random: seeded here, so that the test is the same every run.
      RandomGenerator seeded = new SplittableRandom(17);
      Balancer balancer = algorithm == Algorithm.RANDOM_TWO_CHOICES
          ? new PowerOfTwoChoicesBalancer(set, () -> seeded) : Balancers.create(algorithm, set);
      Map<String, Integer> counts = algorithm == Algorithm.LEAST_CONNECTIONS
          || algorithm == Algorithm.RANDOM_TWO_CHOICES ? closedLoop(balancer, set) : openLoop(balancer, set);
      double total = algorithm == Algorithm.ROUND_ROBIN ? set.size() : Fixtures.totalWeight(set);
      for (Endpoint e : set) {
        double share = (algorithm == Algorithm.ROUND_ROBIN ? 1 : e.weight()) / total;
        double expected = PICKS * share;
        double tolerance = exact(algorithm) ? 1 : 0.05 * expected;
        assertThat((double) counts.get(e.key())).as("%s %s", algorithm, e)
            .isCloseTo(expected, Offset.offset(tolerance));
      }
    }
  }

  private static boolean exact(Algorithm algorithm) {
    return algorithm == Algorithm.ROUND_ROBIN || algorithm == Algorithm.WEIGHTED_ROUND_ROBIN;
  }

  private static Map<String, Integer> openLoop(Balancer balancer, List<Endpoint> set) {
    Random random = new Random(11);
    return Fixtures.count(balancer, set, PICKS, i -> Fixtures.randomClient(random));
  }

  private static Map<String, Integer> closedLoop(Balancer balancer, List<Endpoint> set) {
    Random random = new Random(13);
    Map<String, Integer> counts = new HashMap<>();
    List<Endpoint> open = new ArrayList<>();
    for (int i = 0; i < PICKS; i++) {
      if (open.size() >= 1_000) {
        int victim = random.nextInt(open.size());
        open.get(victim).connectionClosed();
        open.set(victim, open.get(open.size() - 1));
        open.remove(open.size() - 1);
      }
      Endpoint e = balancer.pick(Fixtures.randomClient(random));
      e.connectionOpened();
      open.add(e);
      counts.merge(e.key(), 1, Integer::sum);
    }
    return counts;
  }
}
