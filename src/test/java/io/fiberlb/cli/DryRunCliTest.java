package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.it.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code --dry-run} on the CLI against a real server: the diff and the disruption printed, nothing done. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DryRunCliTest {
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private CliAgainstServerTest.Result fiberlb(String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(), "--project", "dry"));
    all.addAll(List.of(args));
    var r = CliAgainstServerTest.exec(all.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    return r;
  }

  private static <T extends com.google.protobuf.Message.Builder> T parse(String json, T builder) throws Exception {
    JsonFormat.parser().merge(json, builder);
    return builder;
  }

  @Test
  void backendDeleteDryRunPrintsTheDiffAndTheFlowsThatMove() throws Exception {
    String lb = parse(fiberlb("--json", "lb", "create", "--name", "web").out(), LoadBalancer.newBuilder()).getId();
    String pool = parse(fiberlb("--json", "pool", "create", "--lb", lb, "--name", "p", "--protocol", "TCP",
        "--lb-algorithm", "MAGLEV").out(), Pool.newBuilder()).getId();
    var ids = new ArrayList<String>();
    for (String address : List.of("10.0.0.5", "10.0.0.6", "10.0.0.7")) {
      ids.add(parse(fiberlb("--json", "backend", "create", "--lb", lb, "--pool", pool, "--address", address,
          "--protocol-port", "8080").out(), Backend.newBuilder()).getId());
    }
    long version = parse(fiberlb("--json", "lb", "get", lb).out(), LoadBalancer.newBuilder()).getVersion();

    var r = fiberlb("backend", "delete", "--lb", lb, ids.get(2), "--dry-run");
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).isEqualTo("dry run: version " + version + " -> " + (version + 1) + "; nothing was changed");
    assertThat(lines[1]).isEqualTo("- backend " + Output.shortId(ids.get(2)) + " 10.0.0.7:8080");
    assertThat(lines[2]).matches("pool " + Output.shortId(pool) + " maglev: 3\\d\\.\\d% of flows move \\("
        + "10\\.0\\.0\\.7:8080 -> 10\\.0\\.0\\.[56]:8080 1\\d\\.\\d%, 10\\.0\\.0\\.7:8080 -> 10\\.0\\.0\\.[56]:8080"
        + " 1\\d\\.\\d%.*\\)");
    // Nothing happened.
    assertThat(parse(fiberlb("--json", "lb", "get", lb).out(), LoadBalancer.newBuilder()).getVersion())
        .isEqualTo(version);
    assertThat(fiberlb("backend", "get", "--lb", lb, ids.get(2)).out()).contains("10.0.0.7");

    // --json: the whole answer, with dry_run.
    var json = parse(fiberlb("--json", "backend", "delete", "--lb", lb, ids.get(2), "--dry-run").out(),
        DeleteResponse.newBuilder()).build();
    assertThat(json.getVersion()).isEqualTo(version + 1);
    assertThat(json.getDryRun().getDisruption().getPools(0).getMoved()).isBetween(0.30, 0.37);

    // An update and a create too.
    var weight = fiberlb("backend", "update", "--lb", lb, ids.get(0), "--weight", "0", "--dry-run").out();
    assertThat(weight).contains("~ backend " + Output.shortId(ids.get(0)) + " weight: 1 -> 0")
        .contains("backend " + Output.shortId(ids.get(0)) + ": open connections (count not known) continue, no new"
            + " ones (weight 1 -> 0)");
    var create = fiberlb("listener", "create", "--lb", lb, "--protocol", "TCP", "--protocol-port", "80",
        "--dry-run").out();
    assertThat(create).contains("+ listener ").doesNotContain("flows move");
    assertThat(fiberlb("listener", "list", "--lb", lb).out()).doesNotContain("80");
  }
}
