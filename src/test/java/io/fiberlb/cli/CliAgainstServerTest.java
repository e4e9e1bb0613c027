package io.fiberlb.cli;

import io.fiberlb.api.v1.ListL7PoliciesRequest;
import io.fiberlb.api.v1.ListL7RulesRequest;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.it.Poll;
import io.fiberlb.it.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The CLI as a user runs it (the same parser, the real gRPC client) against a real server: the README session. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliAgainstServerTest {
  private TestServer server;

  record Result(int code, String out, String err) {}

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Result fiberlb(String project, String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(), "--project", project));
    all.addAll(List.of(args));
    return exec(all.toArray(String[]::new));
  }

  /** Runs one command line as {@code fiberlb} would, capturing its output; shared with the other CLI tests. */
  static Result exec(String... args) {
    Cli cli = new Cli();
    try {
      var cl = Cli.commandLine(cli);
      var out = new StringWriter();
      var err = new StringWriter();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      return new Result(cl.execute(args), out.toString(), err.toString());
    } finally {
      cli.close();
    }
  }

  @Test
  void auditRollbackAndLbRestorePrintTheChangesAndDryRunWritesNothing() {
    var api = server.as("cli-history");
    String id = api.createLb("hist").getId();
    String pool = api.createPool(id, "p").getId();
    api.createBackend(id, pool, "10.0.0.9", 8080);

    Result dry = fiberlb("cli-history", "audit", "rollback", "--lb", id, "--to-version", "2", "--dry-run");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).startsWith("would be rolled back: load balancer " + id + ", the configuration of version 2,"
        + " as version 4 (was 3)").contains("dry run, nothing written", "- backend ", "10.0.0.9:8080");
    assertThat(api.getLb(id).getVersion()).isEqualTo(3);

    Result real = fiberlb("cli-history", "audit", "rollback", "--lb", id, "--to-version", "2");
    assertThat(real.code()).as(real.err()).isZero();
    assertThat(real.out()).startsWith("rolled back: load balancer " + id).contains("- backend ");
    assertThat(api.getLb(id).getVersion()).isEqualTo(4);

    Result usage = fiberlb("cli-history", "audit", "rollback", "--lb", id);
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("give --to-version or --to-time");

    Result deleted = fiberlb("cli-history", "lb", "delete", id, "--cascade");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    Result restored = fiberlb("cli-history", "lb", "restore", id);
    assertThat(restored.code()).as(restored.err()).isZero();
    assertThat(restored.out()).startsWith("restored: load balancer " + id).contains("+ pool ");
    assertThat(api.getLb(id).getName()).isEqualTo("hist");

    Result again = fiberlb("cli-history", "lb", "restore", id);
    assertThat(again.code()).isNotZero();
    assertThat(again.err()).contains("FAILED_PRECONDITION", "is not deleted");
  }

  private static <T extends Message.Builder> T parse(String json, T builder) throws Exception {
    JsonFormat.parser().merge(json, builder);
    return builder;
  }

  @Test
  void theReadmeSessionWorksAndErrorsExitNonZeroWithTheServersMessage() throws Exception {
    Result created = fiberlb("cli", "--json", "lb", "create", "--name", "web");
    assertThat(created.code()).as(created.err()).isZero();
    LoadBalancer lb = parse(created.out(), LoadBalancer.newBuilder()).build();
    assertThat(lb.getVipAddress()).startsWith("127.0.10.");
    String id = lb.getId();

    Result hc = fiberlb("cli", "--json", "healthcheck", "create", "--lb", id, "--type", "HTTP", "--interval", "2s",
        "--timeout", "1s", "--rise", "2", "--fall", "3", "--url-path", "/health");
    HealthCheck check = parse(hc.out(), HealthCheck.newBuilder()).build();
    assertThat(check.getInterval().getSeconds()).isEqualTo(2);
    Result pool = fiberlb("cli", "--json", "pool", "create", "--lb", id, "--name", "web", "--protocol", "TCP",
        "--lb-algorithm", "MAGLEV", "--health-check-id", check.getId());
    Pool p = parse(pool.out(), Pool.newBuilder()).build();
    Result backend = fiberlb("cli", "backend", "create", "--lb", id, "--pool", p.getId(), "--address", "10.0.0.5",
        "--protocol-port", "8080", "--weight", "10");
    assertThat(backend.code()).as(backend.err()).isZero();
    assertThat(backend.out()).contains("10.0.0.5").contains("ONLINE"); // monitored, no check failed yet
    Result listener = fiberlb("cli", "listener", "create", "--lb", id, "--name", "http", "--protocol", "TCP",
        "--protocol-port", "80", "--default-pool-id", p.getId());
    assertThat(listener.code()).as(listener.err()).isZero();
    Result update = fiberlb("cli", "lb", "update", id, "--description", "public web");
    assertThat(update.out()).contains("public web");

    Result status = fiberlb("cli", "lb", "status", id);
    assertThat(status.code()).isZero();
    assertThat(status.out()).contains("\"web\"", "port 80", "10.0.0.5:8080", "HTTP", "version 6");

    Result bad = fiberlb("cli", "listener", "create", "--lb", id, "--protocol-port", "70000");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("error: INVALID_ARGUMENT: listener.protocol_port: must be 1..65535, got 70000");

    Result refused = fiberlb("cli", "lb", "delete", id);
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("FAILED_PRECONDITION").contains("pass cascade");

    Result stranger = fiberlb("someone-else", "lb", "get", id);
    assertThat(stranger.code()).isEqualTo(1);
    assertThat(stranger.err()).contains("NOT_FOUND: load balancer " + id + " not found");

    Result deleted = fiberlb("cli", "lb", "delete", id, "--cascade");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(deleted.out()).contains("deleted load balancer " + id);
    assertThat(fiberlb("cli", "lb", "get", id).code()).isEqualTo(1);

    // The history outlives the load balancer.
    Result events = fiberlb("cli", "audit", "events", "--lb", id);
    assertThat(events.code()).as(events.err()).isZero();
    assertThat(events.out()).contains("LoadBalancerCreated", "HealthCheckCreated", "ListenerCreated",
        "LoadBalancerUpdated", "LoadBalancerDeleted");
    Result diff = fiberlb("cli", "audit", "diff", "--lb", id, "--from", "5", "--to", "6");
    assertThat(diff.out()).contains("from version 5 to version 6").contains("description");
    Result at = fiberlb("cli", "audit", "at", "--lb", id, "--version", "5");
    assertThat(at.out()).contains("10.0.0.5:8080", "port 80");
    Result export = fiberlb("cli", "audit", "export");
    assertThat(export.code()).as(export.err()).isZero();
    var lines = export.out().lines().toList();
    assertThat(lines).hasSize(9); // started, created, hc, pool, backend, listener, update, deleted, cleaned up
    for (String line : lines) {
      var e = parse(line, io.fiberlb.api.v1.AuditEvent.newBuilder()).build();
      assertThat(e.getLoadBalancerId()).isEqualTo(id);
    }
    assertThat(export.err()).contains("exported 9 events");
  }

  @Test
  void lbStatsShowsTheCountersAsATableOrAsJson() throws Exception {
    // This class's shared server runs no data plane (its README session uses made-up backend addresses); the
    // counters live in a data plane, so this test has a server of its own with one.
    TestServer shared = server;
    server = new TestServer(Map.of("fiberlb.dataplane.enabled", true));
    try {
      statsAgainstADataPlaneServer();
    } finally {
      server.close();
      server = shared;
    }
  }

  private void statsAgainstADataPlaneServer() throws Exception {
    Result created = fiberlb("cli-stats", "--json", "lb", "create", "--name", "web");
    String id = parse(created.out(), LoadBalancer.newBuilder()).build().getId();
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result listener = fiberlb("cli-stats", "--json", "listener", "create", "--lb", id, "--protocol", "TCP",
        "--protocol-port", String.valueOf(port));
    String listenerId = parse(listener.out(), io.fiberlb.api.v1.Listener.newBuilder()).build().getId();
    // Counters the data plane would have counted: the listener's, once the data plane runs it.
    var stats = Poll.until(Duration.ofSeconds(10), () -> server.node().dataPlane().stats().find(id),
        x -> x != null && x.listeners.containsKey(listenerId));
    var counters = stats.listeners.get(listenerId);
    counters.opened();
    counters.bytesIn.add(123_456);
    counters.bytesOut.add(7_890_123);
    counters.rejected.add(2);

    Result table = fiberlb("cli-stats", "lb", "stats", id);
    assertThat(table.code()).as(table.err()).isZero();
    var lines = table.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("node  " + server.node().system().address());
    assertThat(lines.get(2).split(" +")).containsExactly("KIND", "ID", "ACTIVE", "TOTAL", "BYTES_IN", "BYTES_OUT",
        "REQUEST_ERRORS", "REJECTED", "CONNECT_FAILURES");
    assertThat(lines.get(3).split(" +"))
        .containsExactly("load", "balancer", id, "1", "1", "123456", "7890123", "0", "2", "0");
    assertThat(lines.get(4).split(" +"))
        .containsExactly("listener", listenerId, "1", "1", "123456", "7890123", "0", "2", "0");
    assertThat(lines).hasSize(5);

    Result json = fiberlb("cli-stats", "lb", "stats", id, "--json");
    assertThat(json.code()).as(json.err()).isZero();
    var reply = parse(json.out(), io.fiberlb.api.v1.LoadBalancerStats.newBuilder()).build();
    assertThat(reply.getBytesOut()).isEqualTo(7_890_123);
    assertThat(reply.getListenersList()).singleElement()
        .satisfies(l -> assertThat(l.getRejectedConnections()).isEqualTo(2));
    assertThat(json.out()).contains("\"request_errors\": \"0\"");

    Result stranger = fiberlb("someone-else", "lb", "stats", id);
    assertThat(stranger.code()).isEqualTo(1);
    assertThat(stranger.err()).contains("NOT_FOUND").contains(id);
    Result byName = fiberlb("cli-stats", "lb", "stats", "web", "-f", "value", "-c", "bytes_out");
    assertThat(byName.out()).isEqualTo("7890123\n");
    Result bad = fiberlb("cli-stats", "lb", "stats", "nameless");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("NOT_FOUND: no load balancer named 'nameless' in project cli-stats");
  }

  @Test
  void anUnreachableServerExitsThreeWithAHint() throws Exception {
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result r = exec("--server", "127.0.0.1:" + port, "lb", "list");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("127.0.0.1:" + port).contains("bin/fiberlb server");
  }

  @Test
  void l7PoliciesAndRulesAndTheNewListenerAndPoolFlags() {
    var api = server.as("cli-l7");
    String lb = api.createLb("l7").getId();
    Result pool = fiberlb("cli-l7", "pool", "create", "--lb", "l7", "--name", "web", "--protocol", "HTTP",
        "--session-persistence", "APP_COOKIE", "--cookie-name", "SESSION", "-f", "value", "-c", "id");
    assertThat(pool.code()).as(pool.err()).isZero();
    Result refused = fiberlb("cli-l7", "pool", "create", "--lb", "l7", "--protocol", "HTTP",
        "--session-persistence", "APP_COOKIE");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("pool.session_persistence.cookie_name");
    Result listener = fiberlb("cli-l7", "listener", "create", "--lb", "l7", "--name", "http", "--protocol", "HTTP",
        "--protocol-port", "8080", "--default-pool-id", "web", "--insert-headers",
        "X-Forwarded-For=true,X-Forwarded-Proto=true", "-f", "json");
    assertThat(listener.code()).as(listener.err()).isZero();
    assertThat(listener.out()).contains("\"X-Forwarded-For\": \"true\"");
    Result tls = fiberlb("cli-l7", "listener", "create", "--lb", "l7", "--protocol", "TCP", "--protocol-port",
        "8443", "--sni-container-refs", UUID.randomUUID().toString());
    assertThat(tls.code()).isEqualTo(1);
    assertThat(tls.err()).contains("listener.sni_container_refs");
    Result hc = fiberlb("cli-l7", "healthcheck", "create", "--lb", "l7", "--type", "HTTPS", "--domain-name",
        "api.example.com", "--http-version", "1.1", "-f", "value", "-c", "domain_name");
    assertThat(hc.code()).as(hc.err()).isZero();
    assertThat(hc.out().trim()).isEqualTo("api.example.com");

    Result first = fiberlb("cli-l7", "l7policy", "create", "--lb", "l7", "--listener", "http", "--name", "old",
        "--action", "REDIRECT_PREFIX", "--redirect-prefix", "https://www.example.com", "--redirect-http-code", "301");
    assertThat(first.code()).as(first.err()).isZero();
    Result second = fiberlb("cli-l7", "l7policy", "create", "--lb", "l7", "--listener", "http", "--name", "api",
        "--action", "REDIRECT_TO_POOL", "--redirect-pool-id", "web", "--position", "1", "--dry-run");
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(api.call(api.l7policies().listL7Policies(), ListL7PoliciesRequest.newBuilder().setLoadBalancerId(lb)
        .build()).getL7PoliciesCount()).isEqualTo(1);
    second = fiberlb("cli-l7", "l7policy", "create", "--lb", "l7", "--listener", "http", "--name", "api",
        "--action", "REDIRECT_TO_POOL", "--redirect-pool-id", "web", "--position", "1", "--wait");
    assertThat(second.code()).as(second.err()).isZero();
    Result positions = fiberlb("cli-l7", "l7policy", "list", "--lb", "l7", "--listener", "http", "-f", "value",
        "-c", "name", "-c", "position");
    assertThat(positions.out().lines().toList()).containsExactly("old 2", "api 1");

    Result rule = fiberlb("cli-l7", "l7rule", "create", "--lb", "l7", "--policy", "api", "--type", "HEADER",
        "--rule-key", "X-Env", "--compare-type", "REGEX", "--value", "^prod-[0-9]+$", "-f", "value", "-c", "id");
    assertThat(rule.code()).as(rule.err()).isZero();
    String ruleId = rule.out().trim();
    Result badRegex = fiberlb("cli-l7", "l7rule", "create", "--lb", "l7", "--policy", "api", "--type", "PATH",
        "--compare-type", "REGEX", "--value", "/a(");
    assertThat(badRegex.code()).isEqualTo(1);
    assertThat(badRegex.err()).contains("l7rule.value", "not a valid regular expression");
    Result updated = fiberlb("cli-l7", "l7rule", "update", "--lb", "l7", ruleId, "--invert", "true", "-f", "value",
        "-c", "invert");
    assertThat(updated.out().trim()).isEqualTo("true");
    Result byName = fiberlb("cli-l7", "l7rule", "get", "--lb", "l7", "some-name");
    assertThat(byName.code()).isEqualTo(1);
    assertThat(byName.err()).contains("an L7 rule has no name");
    Result rules = fiberlb("cli-l7", "l7rule", "list", "--lb", "l7", "--policy", "api", "-f", "value", "-c", "key");
    assertThat(rules.out().trim()).isEqualTo("X-Env");

    Result deleted = fiberlb("cli-l7", "l7policy", "delete", "--lb", "l7", "api");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(api.call(api.l7rules().listL7Rules(), ListL7RulesRequest.newBuilder().setLoadBalancerId(lb).build())
        .getL7RulesCount()).isZero();
    assertThat(fiberlb("cli-l7", "l7policy", "get", "--lb", "l7", "old", "-f", "value", "-c", "position").out().trim())
        .isEqualTo("1");
  }
}
