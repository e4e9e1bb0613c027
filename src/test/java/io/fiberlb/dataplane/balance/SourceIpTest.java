package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static io.fiberlb.dataplane.balance.Fixtures.endpoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.fiberlb.balance.Hashing;
import io.fiberlb.balance.Rendezvous;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SOURCE_IP and SOURCE_IP_PORT (weighted rendezvous hashing). */
class SourceIpTest {
  private static final int CLIENTS = 20_000;
  private static final ConnectionKey[] KEYS = IntStream.range(0, CLIENTS).mapToObj(Fixtures::client)
      .toArray(ConnectionKey[]::new);

  private static String[] assignment(Balancer balancer) {
    String[] keys = new String[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) keys[i] = balancer.pick(KEYS[i]).key();
    return keys;
  }

  @ParameterizedTest
  @EnumSource(value = Algorithm.class, names = {"SOURCE_IP", "SOURCE_IP_PORT"})
  void aClientKeepsItsEndpointWhileTheSetIsStableWhateverTheInputOrder(Algorithm algorithm) {
    List<Endpoint> set = endpoints(10, i -> 1 + i % 3);
    List<Endpoint> shuffled = new ArrayList<>(set);
    Collections.shuffle(shuffled, new Random(7));
    String[] first = assignment(Balancers.create(algorithm, set));
    assertThat(assignment(Balancers.create(algorithm, set))).isEqualTo(first);
    assertThat(assignment(Balancers.create(algorithm, shuffled))).isEqualTo(first);
  }

  @Test
  void sourceIpIgnoresThePortAndSourceIpPortDoesNot() {
    List<Endpoint> set = endpoints(10, i -> 1);
    Balancer byIp = Balancers.sourceIp(set);
    Balancer byIpPort = Balancers.sourceIpPort(set);
    Set<String> ipOnly = new HashSet<>();
    Set<String> withPort = new HashSet<>();
    for (int port = 1024; port < 1124; port++) {
      ConnectionKey k = ConnectionKey.of(Fixtures.ip(198, 51, 100, 9), port);
      ipOnly.add(byIp.pick(k).key());
      withPort.add(byIpPort.pick(k).key());
    }
    assertThat(ipOnly).hasSize(1);
    assertThat(withPort).hasSize(10);
  }

  /** Rendezvous hashing moves exactly the removed endpoint's clients, no others, and spreads them over the rest. */
  @ParameterizedTest
  @EnumSource(value = Algorithm.class, names = {"SOURCE_IP", "SOURCE_IP_PORT"})
  void removingOneOfNMovesOnlyItsOwnClients(Algorithm algorithm) {
    for (boolean mixed : new boolean[] {false, true}) {
      List<Endpoint> set = endpoints(10, i -> mixed ? 1 + i % 4 : 1);
      String[] before = assignment(Balancers.create(algorithm, set));
      Endpoint removed = set.get(3);
      List<Endpoint> rest = new ArrayList<>(set);
      rest.remove(removed);
      String[] after = assignment(Balancers.create(algorithm, rest));
      Map<String, Integer> whereTheyWent = new HashMap<>();
      int others = 0;
      for (int i = 0; i < CLIENTS; i++) {
        if (before[i].equals(removed.key())) whereTheyWent.merge(after[i], 1, Integer::sum);
        else if (!after[i].equals(before[i])) others++;
      }
      assertThat(others).as("clients of other endpoints that moved").isZero();
      assertThat(whereTheyWent).as("the removed endpoint's clients spread over all the others").hasSize(9);
      // Health works the same way: the down endpoint's clients come back when it does.
      assertThat(assignment(Balancers.create(algorithm, set))).isEqualTo(before);
    }
  }

  @Test
  void addingOneToNMovesAboutItsShareAllToIt() {
    List<Endpoint> set = endpoints(11, i -> 1);
    String[] before = assignment(Balancers.sourceIp(set.subList(0, 10)));
    String[] after = assignment(Balancers.sourceIp(set));
    String added = set.get(10).key();
    int moved = 0;
    for (int i = 0; i < CLIENTS; i++) {
      if (after[i].equals(before[i])) continue;
      assertThat(after[i]).isEqualTo(added);
      moved++;
    }
    assertThat(moved / (double) CLIENTS).isCloseTo(1 / 11.0, offset(0.01));
  }

  @Test
  void changingOneWeightMovesClientsOnlyToOrFromThatEndpoint() {
    List<Endpoint> set = endpoints(8, i -> 2);
    List<Endpoint> heavier = new ArrayList<>(set);
    heavier.set(5, set.get(5).withWeight(4));
    String[] before = assignment(Balancers.sourceIp(set));
    String[] after = assignment(Balancers.sourceIp(heavier));
    String changed = set.get(5).key();
    int moved = 0;
    for (int i = 0; i < CLIENTS; i++) {
      if (after[i].equals(before[i])) continue;
      assertThat(after[i]).isEqualTo(changed);
      moved++;
    }
    // Its share goes from 2/16 to 4/18: about 9.7% of the clients move to it.
    assertThat(moved / (double) CLIENTS).isCloseTo(4 / 18.0 - 2 / 16.0, offset(0.01));
  }

  /** The same client lands on the same endpoint in every release and on every node: pinned. */
  @Test
  void assignmentsArePinnedAcrossReleases() {
    List<Endpoint> set = endpoints(5, i -> 1 + i);
    Balancer ip = Balancers.sourceIp(set);
    Balancer ipPort = Balancers.sourceIpPort(set);
    String byIp = IntStream.range(0, 20).mapToObj(i -> String.valueOf(set.indexOf(ip.pick(client(i)))))
        .collect(Collectors.joining(""));
    String byIpPort = IntStream.range(0, 20).mapToObj(i -> String.valueOf(set.indexOf(ipPort.pick(client(i)))))
        .collect(Collectors.joining(""));
    assertThat(byIp).isEqualTo(PINNED_IP);
    assertThat(byIpPort).isEqualTo(PINNED_IP_PORT);
    assertThat(ConnectionKey.of(Fixtures.ip(192, 0, 2, 7), 51000).addressPortHash())
        .isEqualTo(io.fiberlb.balance.HashingTest.PINNED_CLIENT);
  }

  static final String PINNED_IP = "44123214224243243343";
  static final String PINNED_IP_PORT = "21323433314332304444";

  /**
   * The pick is the endpoint with the smallest {@code -ln(u) / w}, computed here the slow, obvious way (StrictMath,
   * every endpoint): checks the weighting and that skipping hopeless endpoints changes nothing.
   */
  @Test
  void aWeightedPickIsTheSmallestExponentialScore() {
    List<Endpoint> set = endpoints(40, i -> 1 + (i * 7) % 256);
    List<Endpoint> byKey = new ArrayList<>(set);
    byKey.sort(Comparator.comparing(Endpoint::key));
    Balancer ip = Balancers.sourceIp(set);
    for (int c = 0; c < CLIENTS; c++) {
      Endpoint expected = null;
      double best = Double.POSITIVE_INFINITY;
      for (Endpoint e : byKey) {
        long h = Hashing.fmix64(KEYS[c].addressHash() ^ Hashing.hash64(e.key(), Hashing.SEED_RENDEZVOUS));
        double score = -StrictMath.log(((h >>> 11) + 0.5) * 0x1.0p-53) / e.weight();
        if (score < best) {
          best = score;
          expected = e;
        }
      }
      assertThat(ip.pick(KEYS[c])).isSameAs(expected);
    }
  }

  /** The portable logarithm behind the weighted scores agrees with StrictMath's to a few ulps over (0, 1). */
  @Test
  void theScoreLogarithmIsAccurate() {
    Random random = new Random(17);
    for (int i = 0; i < 500_000; i++) {
      double u = ((random.nextLong() >>> 11) + 0.5) * 0x1.0p-53;
      assertThat(Rendezvous.ln(u)).isCloseTo(StrictMath.log(u), offset(2e-15 + 4 * Math.ulp(Math.log(u))));
    }
    for (double u : new double[] {0x1.0p-54, 0.5, Math.nextDown(1.0), Math.nextDown(0.5), 0.75, 0.998}) {
      assertThat(Rendezvous.ln(u)).isCloseTo(StrictMath.log(u), offset(2e-15 + 4 * Math.ulp(Math.log(u))));
    }
  }
}
