package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendStatus;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckStatus;
import io.fiberlb.api.v1.ListBackendsResponse;
import io.fiberlb.api.v1.ListHealthChecksResponse;
import io.fiberlb.api.v1.ListListenersResponse;
import io.fiberlb.api.v1.ListLoadBalancersResponse;
import io.fiberlb.api.v1.ListPoolsResponse;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerStatus;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolStatus;
import io.fiberlb.api.v1.Provisioning;
import io.fiberlb.api.v1.SessionPersistence;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Tables, the status tree and JSON, from messages built in memory. */
class OutputTest {
  private static String print(boolean json, Consumer<Output> what) {
    var text = new StringWriter();
    what.accept(new Output(new PrintWriter(text), json));
    return text.toString();
  }

  private static final LoadBalancer LB = LoadBalancer.newBuilder().setId("lb-1").setName("web")
      .setVipAddress("127.0.10.1").setAdminStateUp(true).addTags("a").addTags("b")
      .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE).setVersion(7)
      .setCreatedAt(Timestamp.newBuilder().setSeconds(1_700_000_000)).build();

  @Test
  void aResourceIsAFieldValueTable() {
    String table = print(false, o -> o.resource(LB));
    assertThat(table.lines().toList()).contains(
        "id                   lb-1",
        "description          -",
        "vip_address          127.0.10.1",
        "admin_state_up       true",
        "tags                 a,b",
        "provisioning_status  ACTIVE",
        "version              7",
        "created_at           2023-11-14T22:13:20Z",
        "updated_at           -");
  }

  @Test
  void durationsAndNestedMessagesReadLikeFlags() {
    var hc = HealthCheck.newBuilder().setInterval(Duration.newBuilder().setSeconds(2))
        .setTimeout(Duration.newBuilder().setNanos(500_000_000)).build();
    assertThat(print(false, o -> o.resource(hc))).contains("interval                 2s\n", "timeout                  500ms\n");

    var pool = Pool.newBuilder().setSessionPersistence(SessionPersistence.newBuilder()
        .setType(SessionPersistence.Type.SOURCE_IP).setTimeout(Duration.newBuilder().setSeconds(5400))).build();
    assertThat(print(false, o -> o.resource(pool))).contains("session_persistence      type=SOURCE_IP timeout=1h30m\n");
  }

  @Test
  void jsonUsesProtoFieldNamesAndPrintsEveryField() {
    String json = print(true, o -> o.resource(LB));
    assertThat(json).startsWith("{").endsWith("}\n")
        .contains("\"vip_address\": \"127.0.10.1\"", "\"description\": \"\"", "\"provisioning_status\": \"ACTIVE\"",
            "\"project_id\": \"\"")
        .doesNotContain("vipAddress");
  }

  @Test
  void aListIsOneRowPerResource() {
    var reply = ListLoadBalancersResponse.newBuilder().addLoadBalancers(LB)
        .addLoadBalancers(LoadBalancer.newBuilder().setId("lb-22").setName("api")).build();
    String table = print(false, o -> o.list(reply, List.of("id", "name", "vip_address", "provisioning_status")));
    assertThat(table).isEqualTo("""
        ID     NAME  VIP_ADDRESS  PROVISIONING
        lb-1   web   127.0.10.1   ACTIVE
        lb-22  api   -            -
        """);
    // An empty list: nothing on stdout, the remark on stderr.
    var out = new StringWriter();
    var err = new StringWriter();
    new Output(new PrintWriter(out), new PrintWriter(err), OutputOptions.Format.TABLE, List.of())
        .list(ListPoolsResponse.getDefaultInstance(), List.of("id"));
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).isEqualTo("no pools\n");
  }

  @Test
  void everyKindListsColumnsItsMessageHas() {
    Map<ResourceCommands<?>, Message> replies = Map.of(
        new LoadBalancerCommands(), ListLoadBalancersResponse.newBuilder().addLoadBalancers(LB).build(),
        new ListenerCommands(), ListListenersResponse.newBuilder().addListeners(Listener.getDefaultInstance()).build(),
        new PoolCommands(), ListPoolsResponse.newBuilder().addPools(Pool.getDefaultInstance()).build(),
        new BackendCommands(), ListBackendsResponse.newBuilder().addBackends(Backend.getDefaultInstance()).build(),
        new HealthCheckCommands(),
        ListHealthChecksResponse.newBuilder().addHealthChecks(HealthCheck.getDefaultInstance()).build());
    replies.forEach((group, reply) -> {
      String table = print(false, o -> o.list(reply, group.columns()));
      assertThat(table.lines().findFirst().orElseThrow()).startsWith("ID  ").contains("NAME");
    });
    var pools = ListPoolsResponse.newBuilder().addPools(Pool.getDefaultInstance()).build();
    assertThatThrownBy(() -> print(false, o -> o.list(pools, List.of("colour"))))
        .isInstanceOf(Flags.UsageException.class).hasMessageStartingWith("-c colour: no such column; the columns are id,");
  }

  @Test
  void allPagesBecomeOneReply() {
    List<String> asked = new ArrayList<>();
    var first = ListLoadBalancersResponse.newBuilder().addLoadBalancers(LB).setNextPageToken("t1").build();
    ListLoadBalancersResponse all = Output.Pages.all(first, token -> {
      asked.add(token);
      return token.equals("t1")
          ? ListLoadBalancersResponse.newBuilder().addLoadBalancers(LoadBalancer.newBuilder().setId("lb-2"))
              .setNextPageToken("t2").build()
          : ListLoadBalancersResponse.newBuilder().addLoadBalancers(LoadBalancer.newBuilder().setId("lb-3")).build();
    });
    assertThat(asked).containsExactly("t1", "t2");
    assertThat(all.getLoadBalancersList()).extracting(LoadBalancer::getId).containsExactly("lb-1", "lb-2", "lb-3");
    assertThat(all.getNextPageToken()).isEmpty();

    var stuck = ListPoolsResponse.newBuilder().setNextPageToken("same").build();
    assertThatThrownBy(() -> Output.Pages.all(stuck, token -> stuck)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void statusIsAnIndentedTree() {
    var status = LoadBalancerStatus.newBuilder().setId("lb-1").setName("web").setVipAddress("127.0.10.1")
        .setVersion(7).setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE)
        .addListeners(ListenerStatus.newBuilder().setId("l-1").setName("http").setProtocolPort(80)
            .setDefaultPoolId("p-1").setProvisioningStatus(Provisioning.Status.ACTIVE)
            .setOperatingStatus(Operating.Status.ONLINE))
        .addPools(PoolStatus.newBuilder().setId("p-1").setName("web")
            .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.DEGRADED)
            .setHealthCheck(HealthCheckStatus.newBuilder().setId("hc-1").setType(HealthCheck.Type.HTTP)
                .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE))
            .addBackends(BackendStatus.newBuilder().setId("b-1").setAddress("10.0.0.5").setProtocolPort(8080)
                .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.OFFLINE)))
        .build();
    assertThat(print(false, o -> o.status(status))).isEqualTo("""
        load balancer lb-1 "web"  vip 127.0.10.1  version 7  ACTIVE/ONLINE
          listener l-1 "http"  port 80  default pool p-1  ACTIVE/ONLINE
          pool p-1 "web"  ACTIVE/DEGRADED
            health check hc-1  HTTP  ACTIVE/ONLINE
            backend b-1  10.0.0.5:8080  ACTIVE/OFFLINE
        """);
  }

  @Test
  void deletesSayWhatWentAndTheNewVersion() {
    var reply = DeleteResponse.newBuilder().setVersion(7).build();
    assertThat(print(false, o -> o.deleted("listener", "l-1", reply)))
        .isEqualTo("deleted listener l-1 (load balancer version 7)\n");
    assertThat(print(true, o -> o.deleted("listener", "l-1", reply))).isEqualTo("{\n  \"version\": \"7\"\n}\n");
  }

  /** The export's hand-written JSON is JsonFormat's, byte for byte, whatever the strings, numbers and times hold. */
  @Test
  void auditEventJsonIsExactlyJsonFormats() throws Exception {
    var printer = com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames()
        .includingDefaultValueFields().omittingInsignificantWhitespace();
    var every = new StringBuilder();
    for (char c = 0; c < 0x80; c++) every.append(c);
    every.append("\u00e9\u4e2d\u2028\u2029\ud83d\ude00\ud800x\uffff");
    String all = every.toString();
    var random = new java.util.Random(7);
    var events = new ArrayList<io.fiberlb.api.v1.AuditEvent>();
    events.add(io.fiberlb.api.v1.AuditEvent.getDefaultInstance());
    events.add(io.fiberlb.api.v1.AuditEvent.newBuilder().setOffset(Long.MAX_VALUE).setSequenceNr(Long.MIN_VALUE)
        .setVersion(-1).setTime(Timestamp.getDefaultInstance()).build());
    int[] nanos = {0, 1, 999_999_999, 5_000_000, 120_000, 123_456_789, 100_000_000, 1_000};
    for (int i = 0; i < 200; i++) {
      var b = io.fiberlb.api.v1.AuditEvent.newBuilder().setOffset(random.nextLong()).setSequenceNr(random.nextInt())
          .setVersion(random.nextInt(1000));
      b.setTime(Timestamp.newBuilder().setSeconds(random.nextLong(-62_135_596_800L, 253_402_300_799L))
          .setNanos(i < nanos.length ? nanos[i] : random.nextInt(1_000_000_000)));
      for (var f : io.fiberlb.api.v1.AuditEvent.getDescriptor().getFields()) {
        if (f.getJavaType() != com.google.protobuf.Descriptors.FieldDescriptor.JavaType.STRING) continue;
        var v = new StringBuilder();
        int n = i == 0 ? all.length() : random.nextInt(40);
        for (int k = 0; k < n; k++) v.append(i == 0 ? all.charAt(k) : all.charAt(random.nextInt(all.length())));
        b.setField(f, v.toString());
      }
      events.add(b.build());
    }
    for (var e : events) {
      var mine = new StringBuilder();
      io.fiberlb.api.AuditEventLines.append(e, mine);
      // Compared as the UTF-8 that reaches a file or a pipe: the lines are written as UTF-8, in which an unpaired
      // surrogate (\ud800 above) becomes '?' whoever prints it.
      assertThat(mine.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(printer.print(e).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
