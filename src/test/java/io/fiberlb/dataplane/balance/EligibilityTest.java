package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The eligibility rules, the same for every algorithm. */
class EligibilityTest {
  private static final Endpoint P1 = Endpoint.of("10.0.0.1", 80, 1);
  private static final Endpoint P2 = Endpoint.of("10.0.0.2", 80, 2);
  private static final Endpoint B1 = Endpoint.of("10.0.1.1", 80, 1, true);
  private static final Endpoint B2 = Endpoint.of("10.0.1.2", 80, 3, true);

  /** The keys seen over many picks from many clients. */
  private static Set<String> picked(Balancer balancer) {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      Endpoint e = balancer.pick(client(i));
      keys.add(e == null ? "null" : e.key());
    }
    return keys;
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void backupsOnlyWhenNoPrimaryIsEligible(Algorithm algorithm) {
    assertThat(picked(Balancers.create(algorithm, List.of(P1, B1, P2, B2))))
        .containsExactlyInAnyOrder(P1.key(), P2.key());
    assertThat(picked(Balancers.create(algorithm, List.of(P1.withHealthy(false), B1, P2.withWeight(0), B2))))
        .containsExactlyInAnyOrder(B1.key(), B2.key());
    assertThat(picked(Balancers.create(algorithm, List.of(P1.withHealthy(false), B1, P2, B2))))
        .containsExactly(P2.key());
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void weightZeroDrains(Algorithm algorithm) {
    assertThat(picked(Balancers.create(algorithm, List.of(P1.withWeight(0), P2)))).containsExactly(P2.key());
    assertThat(picked(Balancers.create(algorithm, List.of(P1, B1.withWeight(0), P2.withWeight(0)))))
        .containsExactly(P1.key());
    assertThat(picked(Balancers.create(algorithm, List.of(P1.withWeight(0), B1.withWeight(0)))))
        .containsExactly("null");
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void nothingEligibleGivesNull(Algorithm algorithm) {
    Balancer allDown = Balancers.create(algorithm, List.of(P1.withHealthy(false), B1.withHealthy(false)));
    assertThat(allDown.pick(client(1))).isNull();
    assertThat(allDown.candidates()).isEmpty();
    assertThat(Balancers.create(algorithm, List.of()).pick(client(1))).isNull();
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void oneEligibleGetsEverything(Algorithm algorithm) {
    assertThat(picked(Balancers.create(algorithm, List.of(P1.withHealthy(false), P2, B1)))).containsExactly(P2.key());
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void duplicateKeysAreRejected(Algorithm algorithm) {
    assertThatThrownBy(() -> Balancers.create(algorithm, List.of(P1, Endpoint.of("10.0.0.1", 80, 5))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate endpoint 10.0.0.1:80");
  }
}
