package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fiberlb.cli.CliAgainstServerTest.Result;
import io.fiberlb.dataplane.engine.netty.NettyEngine;
import io.fiberlb.it.TestServer;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What scripts rely on, against a real server with a data plane: names for ids, {@code --wait} (settled, ERROR,
 * timed out), every {@code -f} format with {@code -c}, and the completion script.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliScriptingTest {
  private TestServer server;
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.dataplane.enabled", true, "fiberlb.vip-range", "127.0.211.0/24"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Result fiberlb(String project, String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(), "--project", project));
    all.addAll(List.of(args));
    return CliAgainstServerTest.exec(all.toArray(String[]::new));
  }

  private static String ok(Result r) {
    assertThat(r.code()).as("exit status; stderr: %s", r.err()).isZero();
    return r.out();
  }

  private static int freePort() throws Exception {
    try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------ names

  @Test
  void namesWorkWhereIdsDoAndUnknownOrAmbiguousNamesFailListingTheCandidates() {
    String lb = ok(fiberlb("names", "lb", "create", "--name", "web", "-f", "value", "-c", "id")).strip();
    assertThat(Names.isId(lb)).isTrue();
    String hc = ok(fiberlb("names", "healthcheck", "create", "--lb", "web", "--name", "check", "--type", "TCP",
        "-f", "value", "-c", "id")).strip();
    // A child's references by name: --lb, --health-check-id, --pool, --default-pool-id.
    String pool = ok(fiberlb("names", "pool", "create", "--lb", "web", "--name", "p", "--health-check-id", "check",
        "-f", "value", "-c", "id", "-c", "health_check_id")).strip();
    assertThat(pool.lines().toList()).hasSize(2).element(1).isEqualTo(hc);
    String poolId = pool.lines().findFirst().orElseThrow();
    ok(fiberlb("names", "backend", "create", "--lb", "web", "--pool", "p", "--name", "b1", "--address", "10.0.0.5",
        "--protocol-port", "8080"));
    assertThat(ok(fiberlb("names", "backend", "get", "--lb", "web", "b1", "-f", "value", "-c", "pool_id")).strip())
        .isEqualTo(poolId);
    assertThat(ok(fiberlb("names", "lb", "get", "web", "-f", "value", "-c", "id")).strip()).isEqualTo(lb);
    assertThat(ok(fiberlb("names", "lb", "get", lb, "-f", "value", "-c", "name")).strip()).isEqualTo("web");
    assertThat(ok(fiberlb("names", "pool", "update", "--lb", "web", "p", "--description", "by name", "-f", "value",
        "-c", "description")).strip()).isEqualTo("by name");
    assertThat(ok(fiberlb("names", "audit", "events", "--lb", "web", "-f", "value", "-c", "type")))
        .contains("PoolUpdated");

    // Unknown: NOT_FOUND, exit 1, nothing on stdout.
    Result unknown = fiberlb("names", "lb", "get", "nope");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.out()).isEmpty();
    assertThat(unknown.err()).startsWith("error: NOT_FOUND: no load balancer named 'nope' in project names");
    Result unknownChild = fiberlb("names", "pool", "get", "--lb", "web", "nope");
    assertThat(unknownChild.code()).isEqualTo(1);
    assertThat(unknownChild.err()).contains("no pool named 'nope' in load balancer " + lb);
    // Another project's name is unknown here, as its ids are.
    assertThat(fiberlb("names-other", "lb", "get", "web").err()).contains("no load balancer named 'web'");

    // The server keeps names unique, but not their case: a name matching two in another case is ambiguous.
    String upper = ok(fiberlb("names", "lb", "create", "--name", "WEB", "-f", "value", "-c", "id")).strip();
    String title = ok(fiberlb("names", "lb", "create", "--name", "Web", "-f", "value", "-c", "id")).strip();
    assertThat(ok(fiberlb("names", "lb", "get", "WEB", "-f", "value", "-c", "id")).strip()).isEqualTo(upper);
    Result ambiguous = fiberlb("names", "lb", "get", "wEb");
    assertThat(ambiguous.code()).isEqualTo(1);
    assertThat(ambiguous.err()).startsWith("error: FAILED_PRECONDITION: 3 load balancers in project names are named"
        + " 'wEb' (in some case); give the id of one:")
        .contains("  " + lb + "  web", "  " + upper + "  WEB", "  " + title + "  Web");
    ok(fiberlb("names", "lb", "delete", "WEB"));
  }

  // ------------------------------------------------------------------ --wait

  @Test
  void waitPrintsTheSettledListenerAndFailsWithTheReasonWhenItsPortIsTaken() throws Exception {
    ok(fiberlb("wait", "lb", "create", "--name", "w"));
    String vip = ok(fiberlb("wait", "lb", "get", "w", "-f", "value", "-c", "vip_address")).strip();
    int port = freePort();
    Result settled = fiberlb("wait", "listener", "create", "--lb", "w", "--name", "free", "--protocol-port",
        String.valueOf(port), "--wait", "-f", "value", "-c", "provisioning_status", "-c", "operating_status");
    // No default pool: it serves (bound), and says it closes connections.
    assertThat(ok(settled).lines().toList()).containsExactly("ACTIVE", "DEGRADED");
    try (var s = new java.net.Socket(vip, port)) {
      assertThat(s.isConnected()).isTrue();
    }

    try (var taken = new ServerSocket()) {
      taken.bind(new java.net.InetSocketAddress(vip, freePort()));
      Result error = fiberlb("wait", "listener", "create", "--lb", "w", "--name", "taken", "--protocol-port",
          String.valueOf(taken.getLocalPort()), "--wait", "-f", "value", "-c", "operating_status");
      assertThat(error.code()).isEqualTo(1);
      assertThat(error.out().strip()).isEqualTo("ERROR"); // the resource as it settled
      assertThat(error.err()).matches("(?s)error: listener [0-9a-f-]{36}: operating_status is ERROR: cannot bind "
          + vip.replace(".", "\\.") + ":" + taken.getLocalPort() + ": address already in use\\s*");
    }

    Result deleted = fiberlb("wait", "lb", "delete", "w", "--cascade", "--wait");
    assertThat(ok(deleted)).startsWith("deleted load balancer ");
    assertThat(fiberlb("wait", "lb", "get", "w").code()).isEqualTo(1);
  }

  @Test
  void waitGivesUpWithExitFourWhenTheDataPlaneCannotBindInTime() throws Exception {
    ok(fiberlb("wait-timeout", "lb", "create", "--name", "slow"));
    // Every event loop of the data plane busy: a bind cannot even start until they are free again.
    var engine = (NettyEngine) server.node().dataPlane().engine();
    var release = new CountDownLatch(1);
    var busy = new ArrayList<EventExecutor>();
    engine.group().forEach(busy::add);
    for (EventExecutor loop : busy) {
      loop.execute(() -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }
    Result timedOut;
    try {
      timedOut = fiberlb("wait-timeout", "listener", "create", "--lb", "slow", "--name", "l", "--protocol-port",
          String.valueOf(freePort()), "--wait", "--wait-timeout", "1s", "-f", "value", "-c", "id");
    } finally {
      release.countDown();
    }
    assertThat(timedOut.code()).as(timedOut.err()).isEqualTo(4);
    assertThat(timedOut.out()).isEmpty();
    assertThat(timedOut.err()).matches("(?s)error: waited 1s \\(--wait-timeout\\) and listener [0-9a-f-]{36} is"
        + " still pending\\s*");
    // Once the data plane has time again, the same wait ends.
    Result later = fiberlb("wait-timeout", "listener", "update", "--lb", "slow", "l", "--description", "x", "--wait",
        "-f", "value", "-c", "provisioning_status");
    assertThat(ok(later).strip()).isEqualTo("ACTIVE");
  }

  @Test
  void waitTimeoutMustBeADuration() {
    Result bad = fiberlb("wait", "lb", "create", "--name", "x", "--wait", "--wait-timeout", "soon");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--wait-timeout");
  }

  // ------------------------------------------------------------------ -f and -c

  @Test
  void everyFormatWithAndWithoutColumnsBeforeOrAfterTheCommand() throws Exception {
    String id = ok(fiberlb("formats", "lb", "create", "--name", "f", "--description", "d", "-f", "value", "-c", "id"))
        .strip();
    // -f value -c, in the order given; before the command too.
    assertThat(ok(fiberlb("formats", "-f", "value", "-c", "name", "-c", "ID", "lb", "get", "f")).lines().toList())
        .containsExactly("f", id);
    // table: field/value rows; -c keeps only those.
    assertThat(ok(fiberlb("formats", "lb", "get", "f", "-c", "description", "-c", "operating_status"))
        .lines().toList()).containsExactly("description       d", "operating_status  ONLINE");
    assertThat(ok(fiberlb("formats", "lb", "get", "f"))).contains("vip_address", "provisioning_status  ACTIVE");
    // json: every field, as --json; with -c only those.
    JsonNode all = JSON.readTree(ok(fiberlb("formats", "lb", "get", "f", "-f", "json")));
    assertThat(all.get("id").asText()).isEqualTo(id);
    assertThat(all.has("project_id")).isTrue();
    assertThat(ok(fiberlb("formats", "lb", "get", "f", "--json"))).isEqualTo(ok(fiberlb("formats", "lb", "get", "f",
        "-f", "json")));
    JsonNode cut = JSON.readTree(ok(fiberlb("formats", "lb", "get", "f", "-f", "json", "-c", "name", "-c", "version")));
    assertThat(cut.fieldNames()).toIterable().containsExactly("name", "version");
    // yaml: the JSON's fields.
    JsonNode yaml = new YAMLMapper().readTree(ok(fiberlb("formats", "lb", "get", "f", "-f", "yaml")));
    assertThat(yaml).isEqualTo(all);
    JsonNode yamlCut = new YAMLMapper().readTree(ok(fiberlb("formats", "lb", "get", "f", "-f", "yaml", "-c", "name")));
    assertThat(yamlCut.get("name").asText()).isEqualTo("f");
    assertThat(yamlCut.size()).isEqualTo(1);

    // A list: rows of the default columns, or the -c ones; value a line per row.
    ok(fiberlb("formats", "lb", "create", "--name", "g"));
    assertThat(ok(fiberlb("formats", "lb", "list", "-f", "value", "-c", "name")).lines().toList())
        .containsExactly("f", "g");
    assertThat(ok(fiberlb("formats", "lb", "list", "-c", "name", "-c", "vip_address")).lines().findFirst())
        .hasValueSatisfying(h -> assertThat(h.split(" +")).containsExactly("NAME", "VIP_ADDRESS"));
    JsonNode list = JSON.readTree(ok(fiberlb("formats", "lb", "list", "-f", "json", "-c", "name")));
    assertThat(list.get("load_balancers")).hasSize(2);
    assertThat(list.get("load_balancers").get(0).fieldNames()).toIterable().containsExactly("name");
    JsonNode listYaml = new YAMLMapper().readTree(ok(fiberlb("formats", "lb", "list", "-f", "yaml")));
    assertThat(listYaml.get("load_balancers").get(1).get("name").asText()).isEqualTo("g");

    // The status tree and the counters: their own layout as a table, their fields otherwise.
    assertThat(ok(fiberlb("formats", "lb", "status", "f"))).startsWith("load balancer " + id + " \"f\"");
    assertThat(ok(fiberlb("formats", "lb", "status", "f", "-f", "value", "-c", "operating_status")).strip())
        .isEqualTo("ONLINE");
    assertThat(JSON.readTree(ok(fiberlb("formats", "lb", "stats", "f", "-f", "json"))).has("bytes_in")).isTrue();

    // Audit events: JSON Lines, YAML documents, values, chosen columns.
    String jsonLines = ok(fiberlb("formats", "audit", "events", "--lb", "f", "-f", "json"));
    for (String line : jsonLines.lines().toList()) assertThat(JSON.readTree(line).get("load_balancer_id").asText())
        .isEqualTo(id);
    assertThat(ok(fiberlb("formats", "audit", "events", "--lb", "f", "-f", "value", "-c", "type")).lines().toList())
        .containsExactly("LoadBalancerCreationStarted", "LoadBalancerCreated");
    assertThat(ok(fiberlb("formats", "audit", "events", "--lb", "f", "-f", "yaml", "-c", "type")))
        .isEqualTo("---\ntype: LoadBalancerCreationStarted\n---\ntype: LoadBalancerCreated\n");
    assertThat(ok(fiberlb("formats", "audit", "events", "--lb", "f", "-c", "type", "-c", "reason")).lines().toList())
        .hasSize(3).first().satisfies(h -> assertThat(h.split(" +")).containsExactly("TYPE", "REASON"));
    // The table has the reason too (the system's own events say why).
    assertThat(ok(fiberlb("formats", "audit", "events", "--lb", "f"))).contains("REASON", "name registered");

    // Nothing to show: stdout empty, the remark on stderr.
    Result none = fiberlb("formats-empty", "lb", "list");
    assertThat(ok(none)).isEmpty();
    assertThat(none.err()).isEqualTo("no load balancers\n");
    Result noEvents = fiberlb("formats", "audit", "events", "--lb", "f", "--type", "PoolDeleted");
    assertThat(ok(noEvents)).isEmpty();
    assertThat(noEvents.err()).isEqualTo("no events\n");
  }

  @Test
  void unknownColumnsAndFormatsAreUsageErrors() {
    ok(fiberlb("formats-bad", "lb", "create", "--name", "b"));
    Result column = fiberlb("formats-bad", "lb", "get", "b", "-c", "colour");
    assertThat(column.code()).isEqualTo(2);
    assertThat(column.err()).startsWith("error: -c colour: no such column; the columns are id, name, description,");
    Result format = fiberlb("formats-bad", "lb", "get", "b", "-f", "xml");
    assertThat(format.code()).isEqualTo(2);
    assertThat(format.err()).contains("'xml' is not a format; use one of table, json, value, yaml");
    Result both = fiberlb("formats-bad", "lb", "get", "b", "--json", "-f", "yaml");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("--json is -f json");
  }

  // ------------------------------------------------------------------ completion

  @Test
  void completionScriptsForBashAndZshComeFromTheCommandModel() throws Exception {
    Result bash = CliAgainstServerTest.exec("completion", "bash");
    assertThat(ok(bash)).contains("complete -F _complete_fiberlb", "healthcheck", "--default-pool-id", "--wait",
        "--format", "MAGLEV", "ROUND_ROBIN");
    Result zsh = CliAgainstServerTest.exec("completion", "zsh");
    assertThat(ok(zsh)).contains("bashcompinit").isEqualTo(bash.out());
    // bash itself accepts the script and then completes the top command's subcommands.
    var script = java.nio.file.Files.createTempFile("fiberlb-completion", ".bash");
    java.nio.file.Files.writeString(script, bash.out());
    Process p = new ProcessBuilder("bash", "-c", "source '" + script + "' && COMP_WORDS=(fiberlb l) COMP_CWORD=1"
        + " COMP_LINE='fiberlb l' COMP_POINT=9 && _complete_fiberlb && printf '%s\\n' \"${COMPREPLY[@]}\"")
        .redirectErrorStream(true).start();
    String words = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(words).isZero();
    assertThat(words.lines().toList()).contains("lb", "listener");
    Result bad = CliAgainstServerTest.exec("completion", "fish");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("'fish' is not bash or zsh");
  }
}
