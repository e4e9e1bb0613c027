package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.L7Policy;
import io.fiberlb.controlplane.model.L7Rule;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredL7Policy;
import io.fiberlb.port.DesiredL7Rule;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.DesiredTls;
import io.fiberlb.port.HealthCheckType;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.SessionPersistenceType;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The L7 and TLS fields of issue 12 as the data plane is told to run them (DesiredListener, DesiredPool...). */
class DesiredStatesL7Test {
  private static final Instant T = Instant.parse("2026-03-01T00:00:00Z");
  private static final LoadBalancerInfo INFO = new LoadBalancerInfo("lb-1", "org", "proj", "web", "", "127.0.10.7",
      "127.0.10.0/24", true, List.of(), T, T);

  private static Active state(Child... children) {
    var kids = new LinkedHashMap<String, Child>();
    for (Child c : children) kids.put(c.id(), c);
    return new Active(INFO, 9, kids, Map.of(), Map.of());
  }

  @Test
  void listenersCarryTheirEnabledPoliciesInPositionOrderWithTheirEnabledRules() {
    var https = new Listener("l-1", "https", "", Enums.Protocol.TERMINATED_HTTPS, 443, "p-1", -1, 50_000, 5_000,
        50_000, List.of(), true, List.of(), 1, 1, T, T,
        Map.of("X-Forwarded-For", "true", "X-Forwarded-Port", "false", "X-Request-Id", "true"), "c-1",
        List.of("c-2", "c-3"), List.of("TLSv1.3"), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        List.of("h2", "http/1.1"), "ca-1", Enums.ClientAuthentication.OPTIONAL, true);
    var pool = new Pool("p-1", "web", "", Enums.Protocol.HTTP, Enums.LbAlgorithm.ROUND_ROBIN,
        Enums.SessionPersistenceType.APP_COOKIE, 60_000, "hc-1", true, List.of(), 2, 2, T, T, "JSESSIONID");
    var proxy = new Pool("p-2", "legacy", "", Enums.Protocol.PROXYV2, Enums.LbAlgorithm.ROUND_ROBIN,
        Enums.SessionPersistenceType.NONE, 60_000, "", true, List.of(), 3, 3, T, T, "");
    var hc = new HealthCheck("hc-1", "", Enums.HealthCheckType.HTTPS, 2000, 1000, 2, 3, "GET", "/health", "200",
        true, List.of(), 4, 4, T, T, "api.example.com", "1.1");
    var second = new L7Policy("pol-b", "l-1", "b", "", Enums.L7Action.REDIRECT_TO_POOL, 2, "", "", "p-2", 302, true,
        List.of(), 5, 5, T, T);
    var first = new L7Policy("pol-a", "l-1", "a", "", Enums.L7Action.REDIRECT_PREFIX, 1, "", "https://new.example",
        "", 308, true, List.of(), 6, 6, T, T);
    var disabled = new L7Policy("pol-c", "l-1", "c", "", Enums.L7Action.REJECT, 3, "", "", "", 302, false, List.of(),
        7, 7, T, T);
    var rule = new L7Rule("r-1", "pol-b", Enums.L7RuleType.HEADER, Enums.L7CompareType.REGEX, "X-Env", "^prod$",
        true, true, List.of(), 8, 8, T, T);
    var offRule = new L7Rule("r-2", "pol-b", Enums.L7RuleType.PATH, Enums.L7CompareType.STARTS_WITH, "", "/x",
        false, false, List.of(), 9, 9, T, T);
    var ruleOfA = new L7Rule("r-3", "pol-a", Enums.L7RuleType.HOST_NAME, Enums.L7CompareType.EQUAL_TO, "",
        "old.example", false, true, List.of(), 10, 10, T, T);

    var desired = DesiredStates.of(state(https, pool, proxy, hc, second, first, disabled, rule, offRule, ruleOfA));

    DesiredListener l = desired.listeners().get(0);
    assertThat(l.insertHeaders()).isEqualTo(Map.of("X-Forwarded-For", "true", "X-Request-Id", "true"));
    assertThat(l.tls()).isEqualTo(new DesiredTls("c-1", List.of("c-2", "c-3"), List.of("TLSv1.3"),
        List.of("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"), List.of("h2", "http/1.1"), "ca-1",
        DesiredTls.ClientAuthentication.OPTIONAL));
    assertThat(l.acceptProxyProtocol()).isTrue();
    assertThat(l.l7Policies()).containsExactly(
        new DesiredL7Policy("pol-a", DesiredL7Policy.Action.REDIRECT_PREFIX, 1, "", "https://new.example", "", 308,
            List.of(new DesiredL7Rule("r-3", DesiredL7Rule.Type.HOST_NAME, DesiredL7Rule.CompareType.EQUAL_TO, "",
                "old.example", false))),
        new DesiredL7Policy("pol-b", DesiredL7Policy.Action.REDIRECT_TO_POOL, 2, "", "", "p-2", 302,
            List.of(new DesiredL7Rule("r-1", DesiredL7Rule.Type.HEADER, DesiredL7Rule.CompareType.REGEX, "X-Env",
                "^prod$", true))));
    assertThat(desired.pools()).containsExactly(
        new DesiredPool("p-1", Protocol.HTTP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.APP_COOKIE, 60_000,
            "hc-1", true, "JSESSIONID"),
        new DesiredPool("p-2", Protocol.PROXYV2, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 60_000, "",
            true, ""));
    assertThat(desired.healthChecks().get("hc-1")).isEqualTo(new DesiredHealthCheck("hc-1", HealthCheckType.HTTPS,
        2000, 1000, 2, 3, "GET", "/health", "200", true, "api.example.com", "1.1"));
  }

  @Test
  void aPlainHttpListenerHasNoTlsAndATcpListenerNoL7() {
    var http = new Listener("l-1", "", "", Enums.Protocol.HTTP, 80, "", -1, 50_000, 5_000, 50_000, List.of(), true,
        List.of(), 1, 1, T, T);
    var desired = DesiredStates.of(state(http));
    assertThat(desired.listeners().get(0).tls()).isNull();
    assertThat(desired.listeners().get(0).l7Policies()).isEmpty();
    assertThat(desired.listeners().get(0).protocol()).isEqualTo(Protocol.HTTP);
  }

  @Test
  void renumberingInsertsMovesAndClosesGaps() {
    var a = new L7Policy("a", "l", "a", "", Enums.L7Action.REJECT, 1, "", "", "", 302, true, List.of(), 1, 1, T, T);
    var b = new L7Policy("b", "l", "b", "", Enums.L7Action.REJECT, 2, "", "", "", 302, true, List.of(), 2, 2, T, T);
    var other = new L7Policy("o", "m", "o", "", Enums.L7Action.REJECT, 1, "", "", "", 302, true, List.of(), 3, 3, T,
        T);
    Map<String, Child> kids = new LinkedHashMap<>(Map.of("a", a, "b", b, "o", other));
    var c = new L7Policy("c", "l", "c", "", Enums.L7Action.REJECT, 1, "", "", "", 302, true, List.of(), 4, 4, T, T);
    kids.put("c", c);
    var after = L7Policy.renumber(kids, c);
    assertThat(position(after, "c")).isEqualTo(1);
    assertThat(position(after, "a")).isEqualTo(2);
    assertThat(position(after, "b")).isEqualTo(3);
    assertThat(position(after, "o")).isEqualTo(1); // another listener's policies are left alone
    var gone = new LinkedHashMap<>(after);
    gone.remove("a");
    var closed = L7Policy.renumber(gone, null);
    assertThat(position(closed, "c")).isEqualTo(1);
    assertThat(position(closed, "b")).isEqualTo(2);
  }

  private static int position(Map<String, Child> kids, String id) {
    return ((L7Policy) kids.get(id)).position();
  }
}
