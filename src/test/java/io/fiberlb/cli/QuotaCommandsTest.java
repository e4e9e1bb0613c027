package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.ListQuotaChangesResponse;
import io.fiberlb.api.v1.Quota;
import io.fiberlb.it.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code fiberlb quota show|set|reset|changes} against a real server, and a create refused after a change. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuotaCommandsTest {
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.quotas.load-balancers", 3));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private CliAgainstServerTest.Result fiberlb(String... args) {
    var all = new ArrayList<>(List.of("--server", "127.0.0.1:" + server.port(), "--project", "cli-quota"));
    all.addAll(List.of(args));
    return CliAgainstServerTest.exec(all.toArray(String[]::new));
  }

  private static Quota quota(CliAgainstServerTest.Result r) throws Exception {
    assertThat(r.code()).as(r.err()).isZero();
    var b = Quota.newBuilder();
    JsonFormat.parser().merge(r.out(), b);
    return b.build();
  }

  @Test
  void showSetResetChangesAndACreateRefusedAfterTheChange() throws Exception {
    Quota shown = quota(fiberlb("--json", "quota", "show"));
    assertThat(shown.getLoadBalancers()).isEqualTo(3);
    assertThat(shown.getOverriddenList()).isEmpty();

    var table = fiberlb("quota", "show");
    assertThat(table.code()).isZero();
    assertThat(table.out()).contains("load_balancers").contains("overridden").contains("in_use");

    Quota set = quota(fiberlb("--json", "quota", "set", "--load-balancers", "1", "--backends", "-1",
        "--request-id", "cli-1"));
    assertThat(set.getLoadBalancers()).isEqualTo(1);
    assertThat(set.getBackends()).isEqualTo(-1);
    assertThat(set.getOverriddenList()).containsExactly("load_balancers", "backends");

    assertThat(fiberlb("lb", "create", "--name", "one").code()).isZero();
    var refused = fiberlb("lb", "create", "--name", "two");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("RESOURCE_EXHAUSTED").contains("its limit is 1 (quota load_balancers)");

    var bad = fiberlb("quota", "set", "--pools", "-5");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("INVALID_ARGUMENT").contains("quota.pools: must be -1 (unlimited) or 0 or more");
    var nothing = fiberlb("quota", "set");
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("nothing to change");

    Quota reset = quota(fiberlb("--json", "quota", "reset"));
    assertThat(reset.getLoadBalancers()).isEqualTo(3);
    assertThat(reset.getOverriddenList()).isEmpty();
    assertThat(fiberlb("lb", "create", "--name", "two").code()).isZero();

    var changes = fiberlb("--json", "quota", "changes");
    assertThat(changes.code()).as(changes.err()).isZero();
    var list = ListQuotaChangesResponse.newBuilder();
    JsonFormat.parser().merge(changes.out(), list);
    assertThat(list.getChangesList()).extracting(c -> c.getType()).containsExactly("QuotaReset", "QuotaSet");
    assertThat(list.getChanges(1).getRequestId()).isEqualTo("cli-1");
    assertThat(list.getChanges(1).getActor()).startsWith("local:");
    var changesTable = fiberlb("quota", "changes");
    assertThat(changesTable.out()).contains("QuotaSet").contains("load_balancers=1");
  }

  @Test
  void helpNamesEveryLimitFlag() {
    var help = CliAgainstServerTest.exec("quota", "set", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("--load-balancers", "--listeners", "--pools", "--backends", "--health-checks",
        "--l7-policies", "--l7-rules", "--certificates", "-1 unlimited");
  }
}
