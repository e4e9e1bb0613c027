package io.fiberlb.controlplane.disruption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.fiberlb.balance.EndpointKey;
import io.fiberlb.balance.MaglevTable;
import io.fiberlb.controlplane.disruption.Disruption.Basis;
import io.fiberlb.controlplane.disruption.Disruption.Fate;
import io.fiberlb.controlplane.disruption.Disruption.Move;
import io.fiberlb.controlplane.disruption.Disruption.PoolShift;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.port.TrafficStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EstimatesTest {

  private static DesiredBackend backend(int i, int weight) {
    return new DesiredBackend("b" + i, "p", "10.0.0." + i, 8080, weight, true, false, 0);
  }

  private static List<DesiredBackend> equal(int n) {
    var out = new ArrayList<DesiredBackend>();
    for (int i = 1; i <= n; i++) out.add(backend(i, 1));
    return out;
  }

  private static DesiredListener listener(int port) {
    return new DesiredListener("l", Protocol.TCP, port, "p", -1, 0, 0, 0, List.of(), true);
  }

  private static DesiredLoadBalancer lb(LbAlgorithm algorithm, List<DesiredBackend> backends) {
    return lb(algorithm, backends, listener(80));
  }

  private static DesiredLoadBalancer lb(LbAlgorithm algorithm, List<DesiredBackend> backends, DesiredListener l) {
    var pool = new DesiredPool("p", Protocol.TCP, algorithm, SessionPersistenceType.NONE, 0, "", true);
    return new DesiredLoadBalancer("lb", "o", "p", "127.0.10.1", true, List.of(l), List.of(pool), backends, Map.of(),
        Map.of());
  }

  private static <T> List<T> without(List<T> xs, int index) {
    var out = new ArrayList<>(xs);
    out.remove(index);
    return out;
  }

  private static <T> List<T> with(List<T> xs, T extra) {
    var out = new ArrayList<>(xs);
    out.add(extra);
    return out;
  }

  private static PoolShift only(Disruption d) {
    assertThat(d.pools()).hasSize(1);
    return d.pools().get(0);
  }

  /** The owner key of every entry of the table over {@code backends}, built here straight from MaglevTable. */
  private static String[] owners(List<DesiredBackend> backends) {
    List<DesiredBackend> sorted = new ArrayList<>(backends);
    sorted.removeIf(b -> b.weight() == 0);
    sorted.sort(Comparator.comparing(b -> EndpointKey.of(b.address(), b.protocolPort())));
    String[] keys = sorted.stream().map(b -> EndpointKey.of(b.address(), b.protocolPort())).toArray(String[]::new);
    int[] table = MaglevTable.build(keys, sorted.stream().mapToInt(DesiredBackend::weight).toArray(),
        MaglevTable.DEFAULT_SIZE);
    String[] out = new String[table.length];
    for (int s = 0; s < table.length; s++) out[s] = keys[table[s]];
    return out;
  }

  private static double changedEntries(String[] a, String[] b) {
    int changed = 0;
    for (int s = 0; s < a.length; s++) if (!a[s].equals(b[s])) changed++;
    return (double) changed / a.length;
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 10, 37, 100})
  void maglevEstimateIsTheFractionOfTableEntriesThatChangeOwner(int n) {
    List<DesiredBackend> before = equal(n);
    for (int removed : new int[] {0, n / 2, n - 1}) {
      List<DesiredBackend> after = without(before, removed);
      PoolShift shift = only(Estimates.of(lb(LbAlgorithm.MAGLEV, before), lb(LbAlgorithm.MAGLEV, after), null));
      double actual = changedEntries(owners(before), owners(after));
      assertThat(shift.basis()).isEqualTo(Basis.TABLE);
      assertThat(shift.moved()).isEqualTo(actual);
      // Removing 1 of N equal backends moves about 1/N: its own entries, and a little more (see MaglevTable).
      assertThat(shift.moved()).isBetween(1.0 / n - 1e-9, 1.0 / n + 0.03);
      assertThat(shift.moves().stream().mapToDouble(Move::fraction).sum() + shift.unlisted())
          .isCloseTo(shift.moved(), offset(1e-9));
      // Every entry the removed backend owned moves away from it.
      String gone = after.size() < before.size() ? before.get(removed).id() : "";
      assertThat(shift.moves().stream().filter(m -> m.fromBackendId().equals(gone)).mapToDouble(Move::fraction).sum())
          .isCloseTo(shift.shares().stream().filter(s -> s.backendId().equals(gone)).findFirst().orElseThrow().before(),
              offset(shift.unlisted() + 1e-9));
    }
  }

  @Test
  void maglevWeightChangeIsExactToo() {
    List<DesiredBackend> before = equal(20);
    List<DesiredBackend> after = new ArrayList<>(before);
    after.set(4, backend(5, 3));
    PoolShift shift = only(Estimates.of(lb(LbAlgorithm.MAGLEV, before), lb(LbAlgorithm.MAGLEV, after), null));
    assertThat(shift.moved()).isEqualTo(changedEntries(owners(before), owners(after)));
    var gained = shift.shares().stream().filter(s -> s.backendId().equals("b5")).findFirst().orElseThrow();
    assertThat(gained.before()).isCloseTo(1.0 / 20, offset(0.003));
    assertThat(gained.after()).isCloseTo(3.0 / 22, offset(0.005));
  }

  /**
   * The example: removing B of A, B, C moves B's third to A and C; a few entries also change hands between A
   * and C (the table is refilled without B), and the estimate says so.
   */
  @Test
  void removingOneOfThreeNamesWhereItsFlowsGo() {
    List<DesiredBackend> before = equal(3);
    PoolShift shift = only(Estimates.of(lb(LbAlgorithm.MAGLEV, before), lb(LbAlgorithm.MAGLEV, without(before, 1)),
        null));
    assertThat(shift.moves().subList(0, 2)).allSatisfy(m -> assertThat(m.fromBackendId()).isEqualTo("b2"));
    assertThat(shift.moves().subList(0, 2)).extracting(Move::toBackendId).containsExactlyInAnyOrder("b1", "b3");
    assertThat(shift.moves().get(0).fraction() + shift.moves().get(1).fraction()).isCloseTo(1.0 / 3, offset(0.005));
    assertThat(shift.moved()).isCloseTo(1.0 / 3, offset(0.02));
  }

  @ParameterizedTest
  @EnumSource(LbAlgorithm.class)
  void addingABackendOfWeightZeroMovesNothing(LbAlgorithm algorithm) {
    List<DesiredBackend> before = equal(10);
    Disruption d = Estimates.of(lb(algorithm, before), lb(algorithm, with(before, backend(11, 0))), null);
    assertThat(d.pools()).isEmpty();
    assertThat(d.connections()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = LbAlgorithm.class, names = {"SOURCE_IP", "SOURCE_IP_PORT"})
  void rendezvousRemovalMovesOnlyTheRemovedBackendsShare(LbAlgorithm algorithm) {
    List<DesiredBackend> before = equal(10);
    PoolShift shift = only(Estimates.of(lb(algorithm, before), lb(algorithm, without(before, 3)), null));
    assertThat(shift.basis()).isEqualTo(Basis.SAMPLE);
    assertThat(shift.sampledFlows()).isEqualTo(Estimates.MAX_SAMPLES);
    assertThat(shift.moved()).isCloseTo(0.1, offset(0.01));
    assertThat(shift.moves()).allSatisfy(m -> assertThat(m.fromBackendId()).isEqualTo("b4"));
  }

  @Test
  void roundRobinSharesBeforeAndAfter() {
    List<DesiredBackend> before = equal(3);
    PoolShift shift = only(Estimates.of(lb(LbAlgorithm.ROUND_ROBIN, before),
        lb(LbAlgorithm.ROUND_ROBIN, with(before, backend(4, 1))), null));
    assertThat(shift.basis()).isEqualTo(Basis.SHARES);
    assertThat(shift.moved()).isCloseTo(0.25, offset(1e-12));
    assertThat(shift.shares()).allSatisfy(s -> assertThat(s.after()).isCloseTo(0.25, offset(1e-12)));
    assertThat(shift.shares().get(0).before()).isCloseTo(1.0 / 3, offset(1e-12));
    assertThat(shift.moves()).allSatisfy(m -> assertThat(m.toBackendId()).isEqualTo("b4"));
  }

  @Test
  void leastConnectionsFollowsWeights() {
    List<DesiredBackend> before = List.of(backend(1, 1), backend(2, 1));
    List<DesiredBackend> after = List.of(backend(1, 1), backend(2, 3));
    PoolShift shift = only(Estimates.of(lb(LbAlgorithm.LEAST_CONNECTIONS, before),
        lb(LbAlgorithm.LEAST_CONNECTIONS, after), null));
    assertThat(shift.moved()).isCloseTo(0.25, offset(1e-12));
    assertThat(shift.moves()).singleElement().satisfies(m -> {
      assertThat(m.fromBackendId()).isEqualTo("b1");
      assertThat(m.toBackendId()).isEqualTo("b2");
    });
  }

  @Test
  void openConnectionsThatAChangeDrainsOrCuts() {
    List<DesiredBackend> before = equal(3);
    List<DesiredBackend> after = new ArrayList<>(before);
    after.set(0, backend(1, 0));
    var stats = new StatsSnapshot("pekko://fiberlb@127.0.0.1:1", List.of(traffic("l", 12)),
        List.of(traffic("b1", 5), traffic("b2", 7)));
    Disruption d = Estimates.of(lb(LbAlgorithm.ROUND_ROBIN, before), lb(LbAlgorithm.ROUND_ROBIN, after,
        listener(8080)), stats);
    assertThat(d.liveCounts()).isTrue();
    assertThat(d.connections()).containsExactly(
        new Disruption.OpenConnections("listener", "l", Fate.CUT_AFTER_DRAIN, 12, "protocol_port 80 -> 8080"),
        new Disruption.OpenConnections("backend", "b1", Fate.DRAINED, 5, "weight 1 -> 0"));

    Disruption deleted = Estimates.of(lb(LbAlgorithm.ROUND_ROBIN, before), null, StatsSnapshot.none());
    assertThat(deleted.liveCounts()).isFalse();
    assertThat(deleted.connections()).containsExactly(
        new Disruption.OpenConnections("listener", "l", Fate.CUT_AFTER_DRAIN, -1, "load balancer deleted"));
  }

  @Test
  void nothingEligibleAfterMovesEveryFlowToNoBackend() {
    UnaryOperator<DesiredBackend> off = b -> new DesiredBackend(b.id(), b.poolId(), b.address(), b.protocolPort(),
        b.weight(), false, b.backup(), 0);
    List<DesiredBackend> before = equal(2);
    PoolShift shift = only(Estimates.of(lb(LbAlgorithm.MAGLEV, before),
        lb(LbAlgorithm.MAGLEV, before.stream().map(off).toList()), null));
    assertThat(shift.moved()).isEqualTo(1.0);
    assertThat(shift.moves()).allSatisfy(m -> assertThat(m.toBackendId()).isEmpty());
  }

  private static TrafficStats traffic(String id, long open) {
    return new TrafficStats(id, open, 0, 0, 0, 0, 0, 0);
  }
}
