package io.fiberlb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.AuditEvent;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.DiffLoadBalancerResponse;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.Provisioning;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/** {@code fiberlb audit}: its value parsers, usage errors, help, and how events, diffs and past trees print. */
class AuditCommandsTest {
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final String LB_ID = "0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b";
  private static final String LISTENER_ID = "1234abcd-0000-4000-8000-000000000001";

  private static String print(boolean json, Consumer<Output> what) {
    var text = new StringWriter();
    what.accept(new Output(new PrintWriter(text), json));
    return text.toString();
  }

  private static Timestamp ts(String iso) {
    return Flags.timestamp(Instant.parse(iso));
  }

  // ------------------------------------------------------------------ --since, --until, --time

  @Test
  void timesAreIsoInstantsWithAZoneOrHowLongAgo() {
    assertThat(Flags.instant("2026-11-21T03:12:00Z", NOW)).isEqualTo(Instant.parse("2026-11-21T03:12:00Z"));
    assertThat(Flags.instant(" 2026-11-21T03:12:00.250Z ", NOW)).isEqualTo(Instant.parse("2026-11-21T03:12:00.250Z"));
    assertThat(Flags.instant("2026-11-21T04:12:00+01:00", NOW)).isEqualTo(Instant.parse("2026-11-21T03:12:00Z"));
    assertThat(Flags.instant("10m", NOW)).isEqualTo(Instant.parse("2026-11-21T11:50:00Z"));
    assertThat(Flags.instant("2h", NOW)).isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
    assertThat(Flags.instant("1d", NOW)).isEqualTo(Instant.parse("2026-11-20T12:00:00Z"));
    assertThat(Flags.instant("1h30m", NOW)).isEqualTo(Instant.parse("2026-11-21T10:30:00Z"));
    assertThat(Flags.instant("0s", NOW)).isEqualTo(NOW);
  }

  @Test
  void aTimeWithoutAZoneIsRefusedNotGuessed() {
    assertThatThrownBy(() -> Flags.instant("2026-11-21T03:12:00", NOW))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'2026-11-21T03:12:00' has no time zone: add Z for UTC or an offset, like 2026-11-21T03:12:00Z"
            + " or 2026-11-21T03:12:00+01:00");
    assertThatThrownBy(() -> Flags.instant("2026-11-21", NOW))
        .hasMessageContaining("has no time zone").hasMessageContaining("2026-11-21T00:00:00Z");
    for (String bad : new String[] {"yesterday", "", "10", "-10m", "2026-13-01T00:00:00Z", "10 minutes"}) {
      assertThatThrownBy(() -> Flags.instant(bad, NOW)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is neither a time nor a duration ago");
    }
  }

  @Test
  void timeFlagsConvertOrFailAsPicocliConversionErrors() {
    Instant before = Instant.now();
    Instant twoHoursAgo = new Flags.TimeValue().convert("2h");
    assertThat(twoHoursAgo).isBetween(before.minusSeconds(7200), Instant.now().minusSeconds(7200));
    assertThatThrownBy(() -> new Flags.TimeValue().convert("soon")).isInstanceOf(TypeConversionException.class);
  }

  // ------------------------------------------------------------------ --from, --to

  @Test
  void pointsAreVersionNumbersOrTimes() {
    assertThat(Flags.point("12", NOW)).isEqualTo(PointInTime.newBuilder().setVersion(12).build());
    assertThat(Flags.point("1", NOW).getPointCase()).isEqualTo(PointInTime.PointCase.VERSION);
    assertThat(Flags.point("2026-11-21T03:12:00Z", NOW))
        .isEqualTo(PointInTime.newBuilder().setTime(ts("2026-11-21T03:12:00Z")).build());
    assertThat(Flags.point("30m", NOW))
        .isEqualTo(PointInTime.newBuilder().setTime(ts("2026-11-21T11:30:00Z")).build());

    assertThatThrownBy(() -> Flags.point("0", NOW)).hasMessage("'0' is not a version: versions count from 1");
    assertThatThrownBy(() -> Flags.point("-3", NOW)).hasMessageContaining("versions count from 1");
    assertThatThrownBy(() -> Flags.point("99999999999999999999", NOW)).hasMessageContaining("not a version");
    assertThatThrownBy(() -> Flags.point("2026-11-21T03:12:00", NOW)).hasMessageContaining("has no time zone");
    assertThatThrownBy(() -> Flags.point("v12", NOW))
        .hasMessageStartingWith("'v12' is neither a version (like 12) nor a time");
    assertThat(new Flags.PointValue().convert("7").getVersion()).isEqualTo(7);
  }

  // ------------------------------------------------------------------ the command line

  @Test
  void badTimesAndPointsAreUsageErrorsNamingTheFlag() {
    CliTest.Result since = CliTest.run("audit", "events", "--lb", "LB", "--since", "yesterday");
    assertThat(since.code()).isEqualTo(2);
    assertThat(since.err()).startsWith("error: Invalid value for option '--since': 'yesterday' is neither")
        .contains("Run 'fiberlb audit events --help' for usage.");

    CliTest.Result until = CliTest.run("audit", "events", "--lb", "LB", "--until", "2026-11-21T03:12:00");
    assertThat(until.code()).isEqualTo(2);
    assertThat(until.err()).contains("'--until'", "has no time zone");

    CliTest.Result from = CliTest.run("audit", "diff", "--lb", "LB", "--from", "0");
    assertThat(from.code()).isEqualTo(2);
    assertThat(from.err()).contains("'--from'", "versions count from 1");

    CliTest.Result to = CliTest.run("audit", "diff", "--lb", "LB", "--from", "3", "--to", "tomorrow");
    assertThat(to.code()).isEqualTo(2);
    assertThat(to.err()).contains("'--to'", "'tomorrow' is neither a version");

    CliTest.Result time = CliTest.run("audit", "at", "--lb", "LB", "--time", "noon");
    assertThat(time.code()).isEqualTo(2);
    assertThat(time.err()).contains("'--time'");

    assertThat(CliTest.run("audit", "at", "--lb", "LB", "--version", "x").err()).contains("'--version'");
    assertThat(CliTest.run("audit", "export", "--since", "2026-11-21").err()).contains("'--since'", "time zone");
  }

  @Test
  void flagsThatDoNotGoTogetherAreUsageErrorsBeforeConnecting() {
    CliTest.Result both = CliTest.run("audit", "at", "--lb", "LB", "--time", "1h", "--version", "3");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).startsWith("error: give --time or --version, not both");

    CliTest.Result zero = CliTest.run("audit", "at", "--lb", "LB", "--version", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).startsWith("error: --version: '0' is not a version");

    CliTest.Result follow = CliTest.run("audit", "events", "--lb", "LB", "--follow", "--until", "1h");
    assertThat(follow.code()).isEqualTo(2);
    assertThat(follow.err()).startsWith("error: --until cannot be used with --follow");

    CliTest.Result backwards = CliTest.run("audit", "events", "--lb", "LB", "--since", "1h", "--until", "2h");
    assertThat(backwards.code()).isEqualTo(2);
    assertThat(backwards.err()).contains("is after --until");

    assertThat(CliTest.run("audit", "events", "--lb", "LB", "--follow", "--page-size", "10").err())
        .startsWith("error: --page-size cannot be used with --follow");
    assertThat(CliTest.run("audit", "export", "--from-offset", "-1").code()).isEqualTo(2);
    assertThat(CliTest.run("audit", "diff", "--lb", "LB").err()).contains("--from=POINT");
    assertThat(CliTest.run("audit", "events").err()).contains("--lb=LB");
    assertThat(CliTest.run("audit").err()).contains("Missing required subcommand");
  }

  @Test
  void everyAuditCommandAnswersHelpWithExamplesInTheGroup() {
    for (String sub : List.of("events", "at", "diff", "export")) {
      CliTest.Result r = CliTest.run("audit", sub, "--help");
      assertThat(r.code()).as(sub).isZero();
      assertThat(r.out()).as(sub).startsWith("Usage: fiberlb audit " + sub + " ").contains("-h, --help");
    }
    assertThat(CliTest.run("audit", "events", "--help").out())
        .startsWith("Usage: fiberlb audit events --lb=LB [OPTIONS]")
        .contains("--since=TIME", "--until=TIME", "--type=TYPE", "--actor=PRINCIPAL", "--follow", "--page-size=N");
    assertThat(CliTest.run("audit", "diff", "--help").out())
        .startsWith("Usage: fiberlb audit diff --lb=LB --from=POINT [OPTIONS]").contains("--to=POINT");
    assertThat(CliTest.run("audit", "at", "--help").out()).contains("--time=TIME", "--version=N");
    assertThat(CliTest.run("audit", "export", "--help").out()).contains("JSON Lines", "--project", "--from-offset");
    CliTest.Result group = CliTest.run("help", "audit");
    assertThat(group.code()).isZero();
    assertThat(group.out()).contains("events ", "at ", "diff ", "export ", "Examples:",
        "fiberlb audit export --project P > events.jsonl");
    assertThat(CliTest.run("--help").out()).contains("audit ", "bin/fiberlb audit events --lb web");
  }

  @Test
  void eventFlagsBecomeTheListEventsRequest() {
    var filter = new AuditCommands.EventFilter();
    new CommandLine(filter).parseArgs("--since", "2026-11-21T03:00:00Z", "--until", "2026-11-21T04:00:00Z",
        "--type", "ListenerCreated,ListenerUpdated", "--type", "PoolDeleted", "--actor", "local:alice",
        "--page-size", "200");
    ListEventsRequest r = filter.request(LB_ID).build();
    assertThat(r.getLoadBalancerId()).isEqualTo(LB_ID);
    assertThat(r.getFromTime()).isEqualTo(ts("2026-11-21T03:00:00Z"));
    assertThat(r.getToTime()).isEqualTo(ts("2026-11-21T04:00:00Z"));
    assertThat(r.getEventTypesList()).containsExactly("ListenerCreated", "ListenerUpdated", "PoolDeleted");
    assertThat(r.getActor()).isEqualTo("local:alice");
    assertThat(r.getPageSize()).isEqualTo(200);

    var none = new AuditCommands.EventFilter();
    new CommandLine(none).parseArgs();
    ListEventsRequest all = none.request(LB_ID).build();
    assertThat(all.hasFromTime()).isFalse();
    assertThat(all.hasToTime()).isFalse();
    assertThat(all.getEventTypesList()).isEmpty();
    assertThat(all.getActor()).isEmpty();

    // --follow reads a stream that the server does not filter by type and actor: the CLI does.
    var follow = new AuditCommands.EventFilter();
    new CommandLine(follow).parseArgs("--follow", "--type", "PoolDeleted", "--actor", "system");
    var wanted = follow.wanted();
    assertThat(wanted.test(AuditEvent.newBuilder().setType("PoolDeleted").setActor("system").build())).isTrue();
    assertThat(wanted.test(AuditEvent.newBuilder().setType("PoolDeleted").setActor("local:bob").build())).isFalse();
    assertThat(wanted.test(AuditEvent.newBuilder().setType("PoolCreated").setActor("system").build())).isFalse();
    assertThat(none.wanted().test(AuditEvent.getDefaultInstance())).isTrue();
  }

  // ------------------------------------------------------------------ events

  private static final AuditEvent UPDATED = AuditEvent.newBuilder().setOffset(7).setLoadBalancerId(LB_ID)
      .setSequenceNr(7).setVersion(5).setType("ListenerUpdated").setTime(ts("2026-11-21T03:12:00Z"))
      .setActor("local:alice").setPeer("127.0.0.1").setRequestId("req-42").setCommand("UpdateListener")
      .setResourceKind("listener").setResourceId(LISTENER_ID).setDetailsJson("{\"protocol_port\":8080}").build();
  private static final AuditEvent CREATED = AuditEvent.newBuilder().setOffset(1).setLoadBalancerId(LB_ID)
      .setSequenceNr(1).setVersion(0).setType("LoadBalancerCreationStarted")
      .setTime(ts("2026-11-21T03:00:00.123456Z")).setActor("system").setResourceKind("load_balancer")
      .setResourceId(LB_ID).build();

  @Test
  void eventsAreATableWithAHeaderAndFixedColumns() {
    String table = print(false, o -> {
      o.event(CREATED);
      o.event(UPDATED);
      o.eventsDone();
    });
    String pad = " ".repeat(30);
    assertThat(table).isEqualTo(""
        + "TIME                      SEQUENCE_NR  VERSION  TYPE                         RESOURCE                "
        + "ACTOR             REQUEST_ID" + pad + "  REASON\n"
        + "2026-11-21T03:00:00.123Z  1            0        LoadBalancerCreationStarted  load_balancer/0b5e8f2a  "
        + "system            -         " + pad + "  -\n"
        + "2026-11-21T03:12:00.000Z  7            5        ListenerUpdated              listener/1234abcd       "
        + "local:alice       req-42    " + pad + "  -\n");
    assertThat(Output.eventLine(AuditEvent.getDefaultInstance())).isEqualTo(
        "-                         0            0        -                            -                       "
            + "-                 -         " + pad + "  -");
    // No events: nothing on stdout, the remark on stderr.
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    new Output(new java.io.PrintWriter(out), new java.io.PrintWriter(err), OutputOptions.Format.TABLE, List.of())
        .eventsDone();
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).isEqualTo("no events\n");
  }

  @Test
  void eventsInJsonAreJsonLinesWithProtoFieldNames() {
    String lines = print(true, o -> {
      o.event(CREATED);
      o.event(UPDATED);
      o.eventsDone();
    });
    List<String> each = lines.lines().toList();
    assertThat(each).hasSize(2);
    assertThat(each.get(1)).isEqualTo("{\"offset\":\"7\",\"load_balancer_id\":\"" + LB_ID + "\",\"sequence_nr\":\"7\","
        + "\"version\":\"5\",\"type\":\"ListenerUpdated\",\"time\":\"2026-11-21T03:12:00Z\",\"actor\":\"local:alice\","
        + "\"peer\":\"127.0.0.1\",\"request_id\":\"req-42\",\"command\":\"UpdateListener\",\"reason\":\"\","
        + "\"resource_kind\":\"listener\",\"resource_id\":\"" + LISTENER_ID + "\","
        + "\"details_json\":\"{\\\"protocol_port\\\":8080}\"}");
    assertThat(each.get(0)).startsWith("{\"offset\":\"1\",").contains("\"version\":\"0\"", "\"reason\":\"\"");
    assertThat(print(true, Output::eventsDone)).as("an empty stream is empty").isEmpty();

    var sb = new StringBuilder();
    Output.appendJsonLine(UPDATED, sb);
    assertThat(sb.toString()).isEqualTo(each.get(1)).doesNotContain("\n");
  }

  @Test
  void writingEventsToAClosedStdoutSaysStop() {
    var closed = new PrintWriter(new java.io.Writer() {
      @Override
      public void write(char[] c, int off, int len) throws java.io.IOException {
        throw new java.io.IOException("Broken pipe");
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
    assertThat(new Output(closed, true).event(UPDATED)).isFalse();
    assertThat(new Output(new PrintWriter(new StringWriter()), true).event(UPDATED)).isTrue();
  }

  // ------------------------------------------------------------------ diff

  @Test
  void diffLinesSayWhatWasAddedRemovedAndChanged() {
    var d = DiffLoadBalancerResponse.newBuilder().setFromVersion(3).setToVersion(9)
        .addChanges(Change.newBuilder().setType(Change.Type.CHANGED).setResourceKind("load_balancer")
            .setResourceId(LB_ID).setField("description").setBefore("\"\"").setAfter("\"public web\""))
        .addChanges(Change.newBuilder().setType(Change.Type.CHANGED).setResourceKind("listener")
            .setResourceId(LISTENER_ID).setField("protocol_port").setBefore("80").setAfter("8080"))
        .addChanges(Change.newBuilder().setType(Change.Type.CHANGED).setResourceKind("listener")
            .setResourceId(LISTENER_ID).setField("allowed_cidrs").setBefore("[]")
            .setAfter("[ \"10.0.0.0/8\",\n  \"192.168.0.0/16\" ]"))
        .addChanges(Change.newBuilder().setType(Change.Type.REMOVED).setResourceKind("pool")
            .setResourceId("5678efgh-0000").setBefore("{\"id\":\"5678efgh-0000\",\"name\":\"old web\"}"))
        .addChanges(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("listener")
            .setResourceId(LISTENER_ID).setAfter("{\"id\":\"" + LISTENER_ID + "\",\"name\":\"http\","
                + "\"protocol_port\":80}"))
        .addChanges(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("backend")
            .setResourceId("9abc0123-ffff").setAfter("{\"name\":\"\",\"address\":\"10.0.0.5\",\"protocol_port\":8080}"))
        .addChanges(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("backend")
            .setResourceId("abcd").setAfter("{\"address\":\"fd00::5\",\"protocol_port\":80}"))
        .addChanges(Change.newBuilder().setType(Change.Type.ADDED).setResourceKind("health_check")
            .setResourceId("hc-1").setAfter("not json"))
        .build();
    assertThat(print(false, o -> o.diff(d))).isEqualTo("""
        from version 3 to version 9
        ~ load_balancer 0b5e8f2a description: "" -> "public web"
        ~ listener 1234abcd protocol_port: 80 -> 8080
        ~ listener 1234abcd allowed_cidrs: [] -> ["10.0.0.0/8","192.168.0.0/16"]
        - pool 5678efgh "old web"
        + listener 1234abcd "http"
        + backend 9abc0123 10.0.0.5:8080
        + backend abcd [fd00::5]:80
        + health_check hc-1
        """);

    var none = DiffLoadBalancerResponse.newBuilder().setFromVersion(4).setToVersion(4).build();
    assertThat(print(false, o -> o.diff(none))).isEqualTo("from version 4 to version 4\nno changes\n");
    assertThat(print(true, o -> o.diff(none))).isEqualTo(
        "{\n  \"from_version\": \"4\",\n  \"to_version\": \"4\",\n  \"changes\": []\n}\n");
  }

  @Test
  void jsonValuesKeepTheirStringsAndLoseTheirLayout() {
    assertThat(HistoryText.jsonValue("{ \"a b\" : [ 1, 2 ],\n \"c\": \"x\\\" y\" }")).isEqualTo("{\"a b\":[1,2],\"c\":\"x\\\" y\"}");
    assertThat(HistoryText.jsonValue("")).isEqualTo("-");
    assertThat(HistoryText.change(Change.newBuilder().setResourceKind("pool").setResourceId("p").build()))
        .isEqualTo("? pool p");
  }

  // ------------------------------------------------------------------ at

  @Test
  void aPastLoadBalancerIsPrintedLikeItsStatusTree() {
    var snapshot = LoadBalancerSnapshot.newBuilder().setSequenceNr(12)
        .setLoadBalancer(LoadBalancer.newBuilder().setId("lb-1").setName("web").setVipAddress("127.0.10.1")
            .setVersion(7).setProvisioningStatus(Provisioning.Status.ACTIVE)
            .setOperatingStatus(Operating.Status.ONLINE))
        .addListeners(Listener.newBuilder().setId("l-1").setName("http").setProtocolPort(80).setDefaultPoolId("p-1")
            .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE))
        .addPools(Pool.newBuilder().setId("p-1").setName("web").setHealthCheckId("hc-1")
            .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE))
        .addBackends(Backend.newBuilder().setId("b-1").setPoolId("p-1").setAddress("10.0.0.5").setProtocolPort(8080)
            .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE))
        .addHealthChecks(HealthCheck.newBuilder().setId("hc-1").setType(HealthCheck.Type.HTTP)
            .setInterval(Duration.newBuilder().setSeconds(2))
            .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE))
        .addHealthChecks(HealthCheck.newBuilder().setId("hc-2").setName("spare").setType(HealthCheck.Type.TCP)
            .setProvisioningStatus(Provisioning.Status.ACTIVE))
        .build();
    assertThat(print(false, o -> o.snapshot(snapshot))).isEqualTo("""
        load balancer lb-1 "web"  vip 127.0.10.1  version 7  ACTIVE/ONLINE
          listener l-1 "http"  port 80  default pool p-1  ACTIVE/ONLINE
          pool p-1 "web"  ACTIVE/ONLINE
            health check hc-1  HTTP  ACTIVE/ONLINE
            backend b-1  10.0.0.5:8080  ACTIVE/ONLINE
          health check hc-2 "spare"  TCP  ACTIVE/-
        """);

    var deleted = LoadBalancerSnapshot.newBuilder().setDeleted(true).setSequenceNr(20)
        .setLoadBalancer(LoadBalancer.newBuilder().setId("lb-1").setName("web").setVipAddress("127.0.10.1")
            .setVersion(9).setProvisioningStatus(Provisioning.Status.DELETED)
            .setOperatingStatus(Operating.Status.OFFLINE))
        .build();
    assertThat(print(false, o -> o.snapshot(deleted))).isEqualTo("""
        deleted: load balancer lb-1 was already deleted at this point; shown as it was when it was deleted
        load balancer lb-1 "web"  vip 127.0.10.1  version 9  DELETED/OFFLINE
        """);
    assertThat(print(true, o -> o.snapshot(deleted))).contains("\"deleted\": true", "\"sequence_nr\": \"20\"");
  }
}
