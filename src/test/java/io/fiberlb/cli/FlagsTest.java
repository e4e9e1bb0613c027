package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.L7Policy;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.L7Rule;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.SessionPersistence;
import io.grpc.Status;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.TypeConversionException;

/** Flags to *Spec messages, and the value parsers: pure, no server. */
class FlagsTest {
  /** Parses flags into a kind's Fields mixin as its commands would. */
  private static <T extends SpecFlags<?>> T parse(T fields, String... args) {
    CommandSpec command = CommandSpec.create();
    fields.options().forEach(command::addOption);
    new CommandLine(command).parseArgs(args);
    return fields;
  }

  private static Flags.ProtoEnumValue values(com.google.protobuf.Descriptors.EnumDescriptor type) {
    return new Flags.ProtoEnumValue(type);
  }

  private static com.google.protobuf.Duration seconds(long s, int nanos) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(s).setNanos(nanos).build();
  }

  @Test
  void flagsNotGivenAreNotSet() {
    assertThat(parse(new LoadBalancerCommands.Fields()).spec()).isEqualTo(LoadBalancerSpec.getDefaultInstance());
    assertThat(parse(new ListenerCommands.Fields()).spec()).isEqualTo(ListenerSpec.getDefaultInstance());
    assertThat(parse(new PoolCommands.Fields()).spec()).isEqualTo(PoolSpec.getDefaultInstance());
    assertThat(parse(new BackendCommands.Fields()).spec()).isEqualTo(BackendSpec.getDefaultInstance());
    assertThat(parse(new HealthCheckCommands.Fields()).spec()).isEqualTo(HealthCheckSpec.getDefaultInstance());
    assertThat(parse(new L7PolicyCommands.Fields()).spec()).isEqualTo(L7PolicySpec.getDefaultInstance());
    assertThat(parse(new L7RuleCommands.Fields()).spec()).isEqualTo(L7RuleSpec.getDefaultInstance());
  }

  @Test
  void l7Flags() {
    L7PolicySpec p = parse(new L7PolicyCommands.Fields(), "--action", "redirect-to-pool", "--redirect-pool-id", "api",
        "--position", "1", "--redirect-http-code", "308").spec();
    assertThat(p.getAction()).isEqualTo(L7Policy.Action.REDIRECT_TO_POOL);
    assertThat(p.getRedirectPoolId()).as("a name, looked up when the command runs").isEqualTo("api");
    assertThat(p.getPosition()).isEqualTo(1);
    assertThat(p.getRedirectHttpCode()).isEqualTo(308);
    assertThat(p.hasRedirectUrl()).isFalse();

    L7RuleSpec r = parse(new L7RuleCommands.Fields(), "--type", "HEADER", "--compare-type", "regex", "--rule-key",
        "X-Env", "--value", "^prod$", "--invert", "true").spec();
    assertThat(r.getType()).isEqualTo(L7Rule.Type.HEADER);
    assertThat(r.getCompareType()).isEqualTo(L7Rule.CompareType.REGEX);
    assertThat(r.getKey()).isEqualTo("X-Env");
    assertThat(r.getValue()).isEqualTo("^prod$");
    assertThat(r.getInvert()).isTrue();
    assertThatThrownBy(() -> values(L7Policy.Action.getDescriptor()).convert("drop"))
        .hasMessage("'drop' is not an L7 policy action; use one of REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX,"
            + " REDIRECT_TO_POOL");
  }

  @Test
  void loadBalancerFlags() {
    LoadBalancerSpec s = parse(new LoadBalancerCommands.Fields(),
        "--name", "web", "--admin-state-up", "false", "--tags", "a,b", "--tags", "c").spec();
    assertThat(s.hasName()).isTrue();
    assertThat(s.getName()).isEqualTo("web");
    assertThat(s.hasAdminStateUp()).isTrue();
    assertThat(s.getAdminStateUp()).isFalse();
    assertThat(s.getTagsList()).containsExactly("a", "b", "c");
    assertThat(s.getTagsSet()).isTrue();
    assertThat(s.hasDescription()).isFalse();
    assertThat(s.hasVipAddress()).isFalse();
  }

  @Test
  void anEmptyListFlagClearsTheList() {
    LoadBalancerSpec lb = parse(new LoadBalancerCommands.Fields(), "--tags", "").spec();
    assertThat(lb.getTagsList()).isEmpty();
    assertThat(lb.getTagsSet()).isTrue();

    ListenerSpec l = parse(new ListenerCommands.Fields(), "--allowed-cidrs", "").spec();
    assertThat(l.getAllowedCidrsList()).isEmpty();
    assertThat(l.getAllowedCidrsSet()).isTrue();
    assertThat(l.getTagsSet()).isFalse();
  }

  @Test
  void listenerFlags() {
    ListenerSpec s = parse(new ListenerCommands.Fields(), "--protocol", "tcp", "--protocol-port", "80",
        "--default-pool-id", "", "--connection-limit", "-1", "--timeout-client-idle", "1m30s",
        "--timeout-backend-connect", "500ms", "--allowed-cidrs", "10.0.0.0/8,192.168.0.0/16").spec();
    assertThat(s.getProtocol()).isEqualTo(Protocol.TCP);
    assertThat(s.getProtocolPort()).isEqualTo(80);
    assertThat(s.hasDefaultPoolId()).as("'' is sent: it clears the default pool").isTrue();
    assertThat(s.getDefaultPoolId()).isEmpty();
    assertThat(s.getConnectionLimit()).isEqualTo(-1);
    assertThat(s.getTimeoutClientIdle()).isEqualTo(seconds(90, 0));
    assertThat(s.getTimeoutBackendConnect()).isEqualTo(seconds(0, 500_000_000));
    assertThat(s.hasTimeoutBackendIdle()).isFalse();
    assertThat(s.getAllowedCidrsList()).containsExactly("10.0.0.0/8", "192.168.0.0/16");
    assertThat(s.getAllowedCidrsSet()).isTrue();
    assertThat(s.hasName()).isFalse();
  }

  @Test
  void udpFlags() {
    assertThat(parse(new ListenerCommands.Fields(), "--protocol", "udp", "--protocol-port", "53").spec().getProtocol())
        .isEqualTo(Protocol.UDP);
    assertThat(parse(new PoolCommands.Fields(), "--protocol", "UDP").spec().getProtocol()).isEqualTo(Protocol.UDP);
    assertThat(parse(new HealthCheckCommands.Fields(), "--type", "udp-connect").spec().getType())
        .isEqualTo(HealthCheck.Type.UDP_CONNECT);
    assertThat(values(HealthCheck.Type.getDescriptor()).convert("UDP_CONNECT"))
        .isEqualTo(HealthCheck.Type.UDP_CONNECT.getValueDescriptor());
  }

  @Test
  void poolFlags() {
    PoolSpec s = parse(new PoolCommands.Fields(), "--lb-algorithm", "round-robin", "--protocol", "TCP",
        "--session-persistence", "source_ip", "--session-persistence-timeout", "30m", "--health-check-id", "").spec();
    assertThat(s.getLbAlgorithm()).isEqualTo(LbAlgorithm.ROUND_ROBIN);
    assertThat(s.getProtocol()).isEqualTo(Protocol.TCP);
    assertThat(s.getSessionPersistence().getType()).isEqualTo(SessionPersistence.Type.SOURCE_IP);
    assertThat(s.getSessionPersistence().getTimeout()).isEqualTo(seconds(1800, 0));
    assertThat(s.hasHealthCheckId()).isTrue();
    assertThat(s.getHealthCheckId()).isEmpty();

    PoolSpec typeOnly = parse(new PoolCommands.Fields(), "--session-persistence", "NONE").spec();
    assertThat(typeOnly.getSessionPersistence().getType()).isEqualTo(SessionPersistence.Type.NONE);
    assertThat(typeOnly.getSessionPersistence().hasTimeout()).isFalse();

    var timeoutOnly = parse(new PoolCommands.Fields(), "--session-persistence-timeout", "1h");
    assertThatThrownBy(timeoutOnly::spec).isInstanceOf(Flags.UsageException.class)
        .hasMessageContaining("--session-persistence");
  }

  @Test
  void backendFlagsSendExplicitZeroes() {
    BackendSpec s = parse(new BackendCommands.Fields(), "--address", "10.0.0.5", "--protocol-port", "8080",
        "--weight", "0", "--backup", "true", "--monitor-port", "0").spec();
    assertThat(s.getAddress()).isEqualTo("10.0.0.5");
    assertThat(s.getProtocolPort()).isEqualTo(8080);
    assertThat(s.hasWeight()).as("weight 0 drains: it must be sent").isTrue();
    assertThat(s.getWeight()).isZero();
    assertThat(s.getBackup()).isTrue();
    assertThat(s.hasMonitorPort()).isTrue();
    assertThat(s.hasName()).isFalse();
  }

  @Test
  void healthCheckFlags() {
    HealthCheckSpec s = parse(new HealthCheckCommands.Fields(), "--type", "http", "--interval", "2s",
        "--timeout", "1s", "--rise", "2", "--fall", "3", "--http-method", "HEAD", "--url-path", "/health",
        "--expected-codes", "200-299").spec();
    assertThat(s.getType()).isEqualTo(HealthCheck.Type.HTTP);
    assertThat(s.getInterval()).isEqualTo(seconds(2, 0));
    assertThat(s.getTimeout()).isEqualTo(seconds(1, 0));
    assertThat(s.getRise()).isEqualTo(2);
    assertThat(s.getFall()).isEqualTo(3);
    assertThat(s.getHttpMethod()).isEqualTo("HEAD");
    assertThat(s.getUrlPath()).isEqualTo("/health");
    assertThat(s.getExpectedCodes()).isEqualTo("200-299");
    assertThat(s.hasAdminStateUp()).isFalse();
  }

  @Test
  void enumValuesAreTakenInAnyCaseWithDashesAndNeverUnspecified() {
    assertThat(values(Protocol.getDescriptor()).convert("tcp"))
        .isEqualTo(Protocol.TCP.getValueDescriptor());
    assertThat(values(Protocol.getDescriptor()).convert("Terminated-HTTPS"))
        .isEqualTo(Protocol.TERMINATED_HTTPS.getValueDescriptor());
    assertThat(values(LbAlgorithm.getDescriptor()).convert("maglev"))
        .isEqualTo(LbAlgorithm.MAGLEV.getValueDescriptor());
    assertThat(values(HealthCheck.Type.getDescriptor()).convert("HTTP"))
        .isEqualTo(HealthCheck.Type.HTTP.getValueDescriptor());
    assertThat(values(SessionPersistence.Type.getDescriptor()))
        .containsExactly("NONE", "SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE");
    assertThat(values(Protocol.getDescriptor()))
        .containsExactly("TCP", "UDP", "HTTP", "TERMINATED_HTTPS", "PROXY", "PROXYV2");

    assertThatThrownBy(() -> values(Protocol.getDescriptor()).convert("protocol_unspecified"))
        .isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> values(HealthCheck.Type.getDescriptor()).convert("icmp"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessage("'icmp' is not a health check type; use one of TCP, HTTP, UDP_CONNECT, HTTPS, TLS_HELLO");
  }

  @Test
  void durations() {
    var d = new Flags.DurationValue();
    assertThat(d.convert("2s")).isEqualTo(seconds(2, 0));
    assertThat(d.convert("500ms")).isEqualTo(seconds(0, 500_000_000));
    assertThat(d.convert("1m30s")).isEqualTo(seconds(90, 0));
    assertThat(d.convert("1h")).isEqualTo(seconds(3600, 0));
    assertThatThrownBy(() -> d.convert("2 seconds")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("500ms, 2s, 1m30s");
  }

  @Test
  void serverAddresses() {
    assertThat(Api.Endpoint.parse("127.0.0.1:9090")).isEqualTo(new Api.Endpoint("127.0.0.1", 9090));
    assertThat(Api.Endpoint.parse("localhost:1")).isEqualTo(new Api.Endpoint("localhost", 1));
    var v6 = Api.Endpoint.parse("[::1]:9090");
    assertThat(v6).isEqualTo(new Api.Endpoint("::1", 9090));
    assertThat(v6.toString()).isEqualTo("[::1]:9090");
    for (String bad : new String[] {"localhost", ":9090", "host:0", "host:65536", "host:http", "::1:9090", ""}) {
      assertThatThrownBy(() -> Api.Endpoint.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void failedCallsAreReportedWithTheirStatusAndExitCode() {
    var server = new Api.Endpoint("127.0.0.1", 9090);

    var refused = new Api.CallFailed(Status.UNAVAILABLE.withDescription("io exception")
        .withCause(new ConnectException("Connection refused")), server);
    assertThat(refused.exitCode()).isEqualTo(3);
    assertThat(refused.report()).isEqualTo("error: UNAVAILABLE: io exception (Connection refused)\n"
        + "hint: is the server running at 127.0.0.1:9090? start it with bin/fiberlb server"
        + " (or point --server / FIBERLB_SERVER at it)");

    var busy = new Api.CallFailed(Status.UNAVAILABLE.withDescription("load balancer did not answer in 10s"), server);
    assertThat(busy.exitCode()).as("the server answered: it is reachable").isEqualTo(1);
    assertThat(busy.report()).isEqualTo("error: UNAVAILABLE: load balancer did not answer in 10s");

    var missing = new Api.CallFailed(Status.NOT_FOUND.withDescription("pool p1 not found"), server);
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.report()).isEqualTo("error: NOT_FOUND: pool p1 not found");
  }
}
