package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Rejection;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rollback's own rules, on states built by hand: the event holds the diff and nothing else, applying it gives
 * the past configuration in creation order, health stays where the probe target stays, and a past configuration
 * that breaks today's rules (two listeners on one port, a name twice, a reference to nothing) is refused naming
 * the field and what holds it. The API-level tests (it/RollbackTest) cover what can be written through the API.
 */
class RollbackPlanTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final Instant NOW = Instant.parse("2026-12-07T00:00:00Z");
  private static final EventMeta META = new EventMeta(NOW, "local:alice", "", "r", "RollbackLoadBalancer", "");
  private static final LoadBalancerInfo INFO = new LoadBalancerInfo("lb", "o", "p", "web", "", "127.0.10.1",
      "127.0.10.0/24", true, List.of(), T0, T0);

  private static Listener listener(String id, int port, String pool, long created) {
    return new Listener(id, id, "", Enums.Protocol.TCP, port, pool, Listener.UNLIMITED, 50_000, 5_000, 50_000,
        List.of(), true, List.of(), created, created, T0, T0);
  }

  private static Pool pool(String id, long created) {
    return new Pool(id, id, "", Enums.Protocol.TCP, Enums.LbAlgorithm.ROUND_ROBIN, Enums.SessionPersistenceType.NONE,
        3_600_000, "", true, List.of(), created, created, T0, T0);
  }

  private static Backend backend(String id, String pool, String address, long created) {
    return new Backend(id, pool, id, address, 80, 1, true, false, 0, List.of(), created, created, T0, T0);
  }

  private static Active state(long version, Child... children) {
    var kids = new LinkedHashMap<String, Child>();
    for (Child c : children) kids.put(c.id(), c);
    return new Active(INFO, version, kids, Map.of(), Map.of());
  }

  @Test
  void theEventHoldsOnlyTheDiffAndApplyingItGivesThePastConfigurationInCreationOrder() {
    Pool p = pool("p", 2);
    Listener old = listener("l", 80, "p", 3);
    Backend b = backend("b", "p", "10.0.0.1", 4);
    Active target = state(4, p, old, b);
    Listener moved = new Listener("l", "l", "", Enums.Protocol.TCP, 81, "p", Listener.UNLIMITED, 50_000, 5_000, 50_000,
        List.of(), true, List.of(), 6, 3, T0, NOW);
    Backend extra = backend("x", "p", "10.0.0.2", 7);
    var health = new LinkedHashMap<String, LoadBalancerState.Health>(Map.of("x",
        new LoadBalancerState.Health(false, "refused", NOW)));
    Active now = new Active(INFO, 7, new LinkedHashMap<>(Map.of("p", p, "l", moved, "x", extra)), Map.of(), health);

    var outcome = Rollback.plan(now, target, 4, "", "", META);
    assertThat(outcome.rejection()).isNull();
    // p is unchanged: not in the event; l changed back; b came back; x went.
    assertThat(outcome.event().children()).extracting(Child::id).containsExactly("l", "b");
    assertThat(outcome.event().removedChildIds()).containsExactly("x");
    assertThat(outcome.event().fromVersion()).isEqualTo(7);
    assertThat(outcome.event().toVersion()).isEqualTo(4);
    Active after = outcome.after();
    assertThat(after.version()).isEqualTo(8);
    assertThat(after.children().keySet()).containsExactly("p", "l", "b");
    assertThat(((Listener) after.children().get("l")).protocolPort()).isEqualTo(80);
    assertThat(after.children().get("b").createdVersion()).isEqualTo(4);
    assertThat(after.children().get("b").version()).isEqualTo(8);
    assertThat(after.children().get("p").version()).isEqualTo(2);
    assertThat(after.health()).isEmpty();
    // Already as it was: nothing to write.
    assertThat(Rollback.plan(after, target, 4, "", "", META).event()).isNull();
  }

  @Test
  void healthStaysWithABackendWhoseProbeTargetStays() {
    Pool p = pool("p", 2);
    Backend b = backend("b", "p", "10.0.0.1", 3);
    Backend renamed = new Backend("b", "p", "renamed", "10.0.0.1", 80, 1, true, false, 0, List.of(), 4, 3, T0, NOW);
    var health = Map.of("b", new LoadBalancerState.Health(false, "refused", NOW));
    Active now = new Active(INFO, 4, new LinkedHashMap<>(Map.of("p", p, "b", renamed)), Map.of(), health);
    Active after = Rollback.plan(now, state(3, p, b), 3, "", "", META).after();
    assertThat(after.children().get("b").name()).isEqualTo("b");
    assertThat(after.health()).containsKey("b");
  }

  @Test
  void aPastConfigurationThatTakesAPortTwiceIsRefusedNamingThePortAndItsHolder() {
    // Two TCP listeners on one port: a history written under looser rules than today's.
    Active target = state(3, listener("l1", 80, "", 2), listener("l2", 80, "", 3));
    var outcome = Rollback.plan(state(5), target, 3, "", "", META);
    assertThat(outcome.event()).isNull();
    assertThat(outcome.rejection().code()).isEqualTo(Rejection.Code.FAILED_PRECONDITION);
    assertThat(outcome.rejection().message()).contains("version 3", "listener.protocol_port", "port 80",
        "listener l2");
  }

  @Test
  void aPastConfigurationWithAReferenceToNothingOrABadFieldIsRefused() {
    var dangling = Rollback.plan(state(5), state(3, listener("l", 80, "gone", 3)), 3, "", "", META).rejection();
    assertThat(dangling.code()).isEqualTo(Rejection.Code.FAILED_PRECONDITION);
    assertThat(dangling.message()).contains("listener.default_pool_id", "gone");
    var badPort = Rollback.plan(state(5), state(3, listener("l", 70000, "", 3)), 3, "", "", META).rejection();
    assertThat(badPort.message()).contains("listener.protocol_port");
  }

  @Test
  void aRestoreTakesTheVipItIsGivenAndEveryChild() {
    Pool p = pool("p", 2);
    Backend b = backend("b", "p", "10.0.0.1", 3);
    var deleted = new Deleted(INFO, 5, true, "del");
    var outcome = Rollback.plan(deleted, state(4, p, b), 4, "127.0.10.9", "127.0.10.0/24", META);
    assertThat(outcome.event().restore()).isTrue();
    Active after = outcome.after();
    assertThat(after.version()).isEqualTo(6);
    assertThat(after.info().vipAddress()).isEqualTo("127.0.10.9");
    assertThat(after.info().id()).isEqualTo("lb");
    assertThat(after.children().keySet()).containsExactly("p", "b");
    assertThat(after.info().createdAt()).isEqualTo(T0);
  }
}
