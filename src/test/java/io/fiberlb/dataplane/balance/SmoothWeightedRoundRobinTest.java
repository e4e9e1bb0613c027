package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.named;
import static io.fiberlb.dataplane.balance.Fixtures.sequence;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {
  /**
   * nginx's smooth weighted round robin run literally, the way its description reads: the oracle the precomputed
   * cycle must match pick for pick.
   */
  private static int[] literal(int[] weights, int picks) {
    int n = weights.length;
    int total = Arrays.stream(weights).sum();
    long[] current = new long[n];
    int[] out = new int[picks];
    for (int t = 0; t < picks; t++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        current[i] += weights[i];
        if (best < 0 || current[i] > current[best]) best = i;
      }
      current[best] -= total;
      out[t] = best;
    }
    return out;
  }

  @Test
  void weights511GiveTheSmoothInterleavingNotABurst() {
    // Derivation (current values after adding the weights -> pick -> after subtracting 7):
    //  5, 1, 1 -> a -> -2, 1, 1
    //  3, 2, 2 -> a -> -4, 2, 2
    //  1, 3, 3 -> b -> 1,-4, 3   (tie b/c: the first in configuration order)
    //  6,-3, 4 -> a -> -1,-3, 4
    //  4,-2, 5 -> c -> 4,-2,-2
    //  9,-1,-1 -> a -> 2,-1,-1
    //  7, 0, 0 -> a -> 0, 0, 0   (back to the start: period 7)
    assertThat(sequence(Balancers.weightedRoundRobin(named("abc", 5, 1, 1)), 14)).containsExactly(
        "a", "a", "b", "a", "c", "a", "a",
        "a", "a", "b", "a", "c", "a", "a");
  }

  @Test
  void otherSmallExamples() {
    assertThat(sequence(Balancers.weightedRoundRobin(named("ab", 2, 1)), 6))
        .containsExactly("a", "b", "a", "a", "b", "a");
    assertThat(sequence(Balancers.weightedRoundRobin(named("abc", 1, 1, 1)), 4)).containsExactly("a", "b", "c", "a");
    assertThat(sequence(Balancers.weightedRoundRobin(named("abc", 4, 2, 2)), 4)).containsExactly("a", "b", "c", "a");
    assertThat(sequence(Balancers.weightedRoundRobin(named("abc", 3, 0, 1)), 4)).containsExactly("a", "a", "c", "a");
  }

  @Test
  void periodIsTheWeightSumOverTheirGcd() {
    assertThat(cycleLength(5, 1, 1)).isEqualTo(7);
    assertThat(cycleLength(10, 2, 2)).isEqualTo(7);
    assertThat(cycleLength(256, 256)).isEqualTo(2);
    assertThat(cycleLength(256, 255)).isEqualTo(511);
  }

  private static int cycleLength(int... weights) {
    return SmoothWeightedRoundRobinBalancer.cycle(weights).length;
  }

  /**
   * For random weight sets: the precomputed cycle, repeated, is exactly the literal algorithm over three periods;
   * each period picks every endpoint exactly its weight times; and it is smooth: after any number of picks t,
   * every endpoint's count is within 2 of its ideal {@code t * w / W} (a weighted round robin that serves each
   * weight as one block is off by up to {@code w (1 - w/W)}: about 25 for weights 51,50).
   */
  @Test
  void matchesTheLiteralAlgorithmAndIsSmoothForRandomWeights() {
    Random random = new Random(42);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(12);
      int[] weights = new int[n];
      int max = new int[] {3, 10, 256}[random.nextInt(3)];
      for (int i = 0; i < n; i++) weights[i] = 1 + random.nextInt(max);
      int total = Arrays.stream(weights).sum();

      List<Endpoint> endpoints = Fixtures.endpoints(weights);
      Balancer wrr = Balancers.weightedRoundRobin(endpoints);
      int[] expected = literal(weights, 3 * total);
      int[] actual = new int[3 * total];
      ConnectionKey key = Fixtures.client(0);
      for (int t = 0; t < actual.length; t++) actual[t] = endpoints.indexOf(wrr.pick(key));
      assertThat(actual).as("weights %s", Arrays.toString(weights)).isEqualTo(expected);

      int[] counts = new int[n];
      double worst = 0;
      for (int t = 0; t < total; t++) {
        counts[expected[t]]++;
        for (int i = 0; i < n; i++) {
          worst = Math.max(worst, Math.abs(counts[i] - (t + 1) * (double) weights[i] / total));
        }
      }
      assertThat(worst).as("largest deviation from the ideal count, weights %s", Arrays.toString(weights))
          .isLessThan(2.0);
      assertThat(counts).containsExactly(weights);
    }
  }
}
