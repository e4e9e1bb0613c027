package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Health;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.HealthCheckType;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The entity's state as the data plane is told to run it: every field that matters, nothing that does not. */
class DesiredStatesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2026-02-01T00:00:00Z");

  private static final LoadBalancerInfo INFO = new LoadBalancerInfo("lb-1", "org", "proj", "web", "front",
      "127.0.10.7", "127.0.10.0/24", true, List.of("prod"), T0, T0);

  private static Active state(String suffix, long version, Map<String, Health> health) {
    var hcOn = new HealthCheck("hc-on", "check" + suffix, Enums.HealthCheckType.HTTP, 2000, 1000, 2, 3, "HEAD",
        "/ready", "200-204", true, List.of("t" + suffix), version, 2, T0, T1);
    var hcOff = new HealthCheck("hc-off", "", Enums.HealthCheckType.TCP, 5000, 2000, 1, 1, "GET", "/", "200", false,
        List.of(), version, 3, T0, T1);
    var checked = new Pool("p-1", "pool" + suffix, "d" + suffix, Enums.Protocol.TCP, Enums.LbAlgorithm.MAGLEV,
        Enums.SessionPersistenceType.SOURCE_IP, 60_000, "hc-on", true, List.of(), version, 4, T0, T1);
    var unchecked = new Pool("p-2", "", "", Enums.Protocol.HTTP, Enums.LbAlgorithm.LEAST_CONNECTIONS,
        Enums.SessionPersistenceType.NONE, 3_600_000, "hc-off", false, List.of(), version, 5, T0, T1);
    var b1 = new Backend("b-1", "p-1", "be" + suffix, "10.0.0.1", 8080, 3, true, false, 9090, List.of(), version, 6,
        T0, T1);
    var b2 = new Backend("b-2", "p-1", "", "backend.example", 80, 0, false, true, 0, List.of(), version, 7, T0, T1);
    var l = new Listener("l-1", "front" + suffix, "", Enums.Protocol.TCP, 443, "p-1", 100, 30_000, 4_000, 60_000,
        List.of("10.0.0.0/8", "192.168.0.0/16"), true, List.of(), version, 8, T0, T1);
    var children = new LinkedHashMap<String, Child>();
    for (Child c : List.<Child>of(hcOn, hcOff, checked, unchecked, b1, b2, l)) children.put(c.id(), c);
    return new Active(INFO, version, children, Map.of(), health);
  }

  @Test
  void everyFieldTheDataPlaneUsesIsCarriedOver() {
    var health = Map.of("b-1", new Health(false, "refused", T1), "b-2", new Health(true, "passed 2 checks", T1));
    DesiredLoadBalancer d = DesiredStates.of(state("", 9, health));

    assertThat(d.id()).isEqualTo("lb-1");
    assertThat(d.orgId()).isEqualTo("org");
    assertThat(d.projectId()).isEqualTo("proj");
    assertThat(d.vipAddress()).isEqualTo("127.0.10.7");
    assertThat(d.adminStateUp()).isTrue();
    assertThat(d.listeners()).containsExactly(new DesiredListener("l-1", Protocol.TCP, 443, "p-1", 100, 30_000,
        4_000, 60_000, List.of("10.0.0.0/8", "192.168.0.0/16"), true));
    assertThat(d.pools()).containsExactly(
        new DesiredPool("p-1", Protocol.TCP, LbAlgorithm.MAGLEV, SessionPersistenceType.SOURCE_IP, 60_000, "hc-on",
            true),
        new DesiredPool("p-2", Protocol.HTTP, LbAlgorithm.LEAST_CONNECTIONS, SessionPersistenceType.NONE, 3_600_000,
            "hc-off", false));
    assertThat(d.backends()).containsExactly(
        new DesiredBackend("b-1", "p-1", "10.0.0.1", 8080, 3, true, false, 9090),
        new DesiredBackend("b-2", "p-1", "backend.example", 80, 0, false, true, 0));
    var on = new DesiredHealthCheck("hc-on", HealthCheckType.HTTP, 2000, 1000, 2, 3, "HEAD", "/ready", "200-204", true);
    assertThat(d.healthChecks()).containsOnlyKeys("hc-on", "hc-off").containsEntry("hc-on", on);
    assertThat(d.journaledHealth()).isEqualTo(Map.of("b-1", false, "b-2", true));
  }

  @Test
  void aPoolIsCheckedOnlyByAnEnabledHealthCheck() {
    DesiredLoadBalancer d = DesiredStates.of(state("", 9, Map.of()));
    assertThat(d.healthCheckOf(d.pools().get(0))).isEqualTo(d.healthChecks().get("hc-on"));
    assertThat(d.healthCheckOf(d.pools().get(1))).as("its check is disabled").isNull();
    var none = new DesiredPool("p-3", Protocol.TCP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 0, "", true);
    assertThat(d.healthCheckOf(none)).isNull();
  }

  @Test
  void namesTagsVersionsAndTimesChangeNothingTheDataPlaneRuns() {
    assertThat(DesiredStates.of(state("-renamed", 42, Map.of()))).isEqualTo(DesiredStates.of(state("", 9, Map.of())));
  }

  @Test
  void verdictsAreSeedsNotConfiguration() {
    DesiredLoadBalancer before = DesiredStates.of(state("", 9, Map.of()));
    DesiredLoadBalancer after = DesiredStates.of(state("", 9, Map.of("b-1", new Health(false, "timeout", T1))));
    assertThat(after).isNotEqualTo(before);
    assertThat(after.sameConfiguration(before)).isTrue();
    assertThat(after.sameConfiguration(null)).isFalse();
    var disabled = new LinkedHashMap<>(state("", 9, Map.of()).children());
    var l = (Listener) disabled.get("l-1");
    disabled.put("l-1", new Listener(l.id(), l.name(), l.description(), l.protocol(), l.protocolPort(),
        l.defaultPoolId(), l.connectionLimit(), l.timeoutClientIdleMs(), l.timeoutBackendConnectMs(),
        l.timeoutBackendIdleMs(), l.allowedCidrs(), false, l.tags(), 10, l.createdVersion(), l.createdAt(), T1));
    assertThat(DesiredStates.of(new Active(INFO, 10, disabled, Map.of(), Map.of())).sameConfiguration(before)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Enums.LbAlgorithm.class)
  void everyAlgorithmKeepsItsName(Enums.LbAlgorithm a) {
    assertThat(DesiredStates.algorithm(a).name()).isEqualTo(a.name());
  }

  @ParameterizedTest
  @EnumSource(Enums.Protocol.class)
  void everyProtocolKeepsItsName(Enums.Protocol p) {
    assertThat(DesiredStates.protocol(p).name()).isEqualTo(p.name());
  }

  @ParameterizedTest
  @EnumSource(Enums.SessionPersistenceType.class)
  void everyPersistenceKeepsItsName(Enums.SessionPersistenceType s) {
    assertThat(DesiredStates.persistence(s).name()).isEqualTo(s.name());
  }

  @ParameterizedTest
  @EnumSource(Enums.HealthCheckType.class)
  void everyCheckTypeKeepsItsName(Enums.HealthCheckType t) {
    assertThat(DesiredStates.checkType(t).name()).isEqualTo(t.name());
  }
}
