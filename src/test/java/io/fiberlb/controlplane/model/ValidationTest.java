package io.fiberlb.controlplane.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure field rules; the API-level test (BadInputTest) covers every rule end to end. */
class ValidationTest {
  @Test
  void addressesAndHostNames() {
    assertThat(Validation.isIpLiteral("10.0.0.5")).isTrue();
    assertThat(Validation.isIpLiteral("2001:db8::1")).isTrue();
    assertThat(Validation.isIpLiteral("10.0.0.0/8")).isFalse();
    assertThat(Validation.isIpLiteral("web-1")).isFalse();
    assertThat(Validation.isHostname("backend-2.example")).isTrue();
    assertThat(Validation.isHostname("localhost")).isTrue();
    assertThat(Validation.isHostname("-bad.example")).isFalse();
    assertThat(Validation.isHostname("a b")).isFalse();
    assertThat(Validation.isHostname("10.0.0")).isFalse();
    assertThat(Validation.isCidr("10.0.0.0/8")).isTrue();
    assertThat(Validation.isCidr("2001:db8::/32")).isTrue();
    assertThat(Validation.isCidr("10.0.0.1")).isFalse();
  }

  @Test
  void expectedCodes() {
    for (String ok : List.of("200", "200,204", "200-299", "200-204,301,400-499")) {
      assertThat(Validation.isExpectedCodes(ok)).as(ok).isTrue();
    }
    for (String bad : List.of("", "2xx", "200-", "299-200", "600", "99", "200,,204", "200 ")) {
      assertThat(Validation.isExpectedCodes(bad)).as(bad).isFalse();
    }
  }

  @Test
  void firstBrokenRuleIsReportedWithItsField() {
    var hc = new HealthCheck("h", "", Enums.HealthCheckType.HTTP, 2000, 2000, 0, 3, "GET", "/", "200", true, List.of(),
        1, 1, Instant.EPOCH, Instant.EPOCH);
    assertThat(Validation.child(hc, null)).contains(Rejection.invalid(
        "health_check.timeout: must be shorter than interval (2s), got 2s"));
    var fine = new HealthCheck("h", "", Enums.HealthCheckType.HTTP, 2000, 1000, 2, 3, "GET", "/", "200", true, List.of(),
        1, 1, Instant.EPOCH, Instant.EPOCH);
    assertThat(Validation.child(fine, null)).isEmpty();
  }

  @Test
  void protocolCannotChangeOnUpdate() {
    var l = Listener.defaults("l", "", 1, Instant.EPOCH);
    var before = new Listener("l", "", "", Enums.Protocol.TCP, 80, "", -1, 1, 1, 1, List.of(), true, List.of(), 1, 1,
        Instant.EPOCH, Instant.EPOCH);
    var changed = new Listener("l", "", "", Enums.Protocol.UDP, 80, "", -1, 1, 1, 1, List.of(), true, List.of(), 2, 1,
        Instant.EPOCH, Instant.EPOCH);
    assertThat(Validation.child(changed, before)).contains(Rejection.invalid(
        "listener.protocol: cannot be changed after create"));
    assertThat(Validation.child(changed, null)).isEmpty();
    assertThat(l.protocolPort()).isZero();
    assertThat(Validation.child(l, null)).contains(Rejection.invalid("listener.protocol_port: must be 1..65535, got 0"));
  }
}
