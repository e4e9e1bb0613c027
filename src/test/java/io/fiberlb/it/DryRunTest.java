package io.fiberlb.it;

import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fiberlb.api.v1.*;
import io.grpc.Status;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * validate_only on every create, update and delete, against a real server: the dry run journals nothing (the rows
 * of the server's journal counted before and after), answers what the real call sent next answers (the same
 * resource but for the id and timestamps the server assigns, the same version), its diff is what the audit's
 * DiffLoadBalancer shows once the real call is made, and a request the real call refuses is refused the same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DryRunTest {
  private TestServer server;
  private TestServer.Api api;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.quotas.backends", 6));
    api = server.as("dry-run");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private long journalRows() {
    return server.journalRows(false);
  }

  private static DryRun dryRunOf(Message m) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName("dry_run");
    assertThat(m.hasField(f)).as("dry_run set on the answer of a validate_only call").isTrue();
    return (DryRun) m.getField(f);
  }

  private static boolean hasDryRun(Message m) {
    return m.hasField(m.getDescriptorForType().findFieldByName("dry_run"));
  }

  private static long version(Message m) {
    return (Long) m.getField(m.getDescriptorForType().findFieldByName("version"));
  }

  private static String id(Message m) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName("id");
    return f == null ? "" : (String) m.getField(f);
  }

  /** What the server assigns when it writes (a create's id, timestamps) replaced, so that two answers compare. */
  private static String normal(String s, String dryId, String realId) {
    String out = s.replaceAll("\"(created_at|updated_at)\":\"[^\"]*\"", "\"$1\":\"T\"")
        .replaceAll("\\\\\"(created_at|updated_at)\\\\\":\\\\\"[^\\\\]*\\\\\"", "\\\\\"$1\\\\\":\\\\\"T\\\\\"");
    return dryId.isEmpty() ? out : out.replace(dryId, realId);
  }

  private static String json(Message m) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String changes(List<Change> changes, String dryId, String realId) {
    var out = new ArrayList<String>();
    for (Change c : changes) out.add(normal(json(c), dryId, realId));
    return String.join("\n", out);
  }

  private List<Change> diff(String lb, long from, long to) {
    return api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(PointInTime.newBuilder().setVersion(from)).setTo(PointInTime.newBuilder().setVersion(to)).build())
        .getChangesList();
  }

  /**
   * Sends {@code call} with validate_only, then for real, and checks the dry run against what happened.
   *
   * @param call the write, given whether it is validate_only
   * @return the dry run's answer
   */
  private <M extends Message> DryRun sameAsTheRealCall(String lb, Function<Boolean, M> call) {
    long versionBefore = api.getLb(lb).getVersion();
    long rows = journalRows();
    M dry = call.apply(true);
    assertThat(journalRows()).as("journal rows after the dry run").isEqualTo(rows);
    assertThat(api.getLb(lb).getVersion()).isEqualTo(versionBefore);
    DryRun d = dryRunOf(dry);
    assertThat(d.getFromVersion()).isEqualTo(versionBefore);

    M real = call.apply(false);
    assertThat(hasDryRun(real)).as("no dry_run on a real call's answer").isFalse();
    String dryId = id(dry);
    String realId = id(real);
    M dryResource = (M) dry.toBuilder().clearField(dry.getDescriptorForType().findFieldByName("dry_run")).build();
    assertThat(normal(json(dryResource), dryId, realId)).isEqualTo(normal(json(real), dryId, realId));
    assertThat(version(real)).isEqualTo(d.getToVersion());
    var at = api.call(api.audit().getLoadBalancerAt(), GetLoadBalancerAtRequest.newBuilder().setId(lb).build());
    assertThat(at.getLoadBalancer().getVersion()).as("the version now").isEqualTo(d.getToVersion());
    if (d.getToVersion() > d.getFromVersion()) {
      assertThat(changes(d.getChangesList(), dryId, realId))
          .isEqualTo(changes(diff(lb, d.getFromVersion(), d.getToVersion()), dryId, realId));
      assertThat(d.getChangesList()).isNotEmpty();
    } else {
      assertThat(d.getChangesList()).isEmpty();
    }
    return d;
  }

  @Test
  void everyWriteAnswersWhatTheRealCallWouldAndJournalsNothing() {
    // CreateLoadBalancer: not sent to an entity (none exists); the id follows from the request id.
    var lbSpec = LoadBalancerSpec.newBuilder().setName("web").setDescription("front");
    long rows = journalRows();
    LoadBalancer dryLb = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(lbSpec).setRequestId("web-1").setValidateOnly(true).build());
    assertThat(journalRows()).isEqualTo(rows);
    DryRun created = dryRunOf(dryLb);
    assertThat(created.getFromVersion()).isZero();
    assertThat(created.getToVersion()).isEqualTo(1);
    assertThat(created.getChangesList()).singleElement().satisfies(c -> {
      assertThat(c.getType()).isEqualTo(Change.Type.ADDED);
      assertThat(c.getResourceKind()).isEqualTo("load_balancer");
    });
    LoadBalancer realLb = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(lbSpec).setRequestId("web-1").build());
    assertThat(normal(json(dryLb.toBuilder().clearDryRun().build()), "", ""))
        .isEqualTo(normal(json(realLb), "", ""));
    assertThat(dryLb.getVipAddress()).isEqualTo(realLb.getVipAddress());
    String lb = realLb.getId();
    // A repeat of the create with its request id changes nothing, and the dry run says so.
    DryRun repeat = sameAsTheRealCall(lb, dry -> api.call(api.lbs().createLoadBalancer(),
        CreateLoadBalancerRequest.newBuilder().setLoadBalancer(lbSpec).setRequestId("web-1").setValidateOnly(dry)
            .build()));
    assertThat(repeat.getToVersion()).isEqualTo(repeat.getFromVersion());

    sameAsTheRealCall(lb, dry -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
        .setId(lb).setLoadBalancer(LoadBalancerSpec.newBuilder().setName("web-2").addTags("a").setTagsSet(true))
        .setValidateOnly(dry).build()));
    String[] hc = new String[1];
    sameAsTheRealCall(lb, dry -> {
      var h = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
          .setLoadBalancerId(lb).setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TCP))
          .setValidateOnly(dry).build());
      if (!dry) hc[0] = h.getId();
      return h;
    });
    sameAsTheRealCall(lb, dry -> api.call(api.healthChecks().updateHealthCheck(), UpdateHealthCheckRequest
        .newBuilder().setLoadBalancerId(lb).setId(hc[0]).setHealthCheck(HealthCheckSpec.newBuilder().setRise(3))
        .setValidateOnly(dry).build()));
    String[] pool = new String[1];
    sameAsTheRealCall(lb, dry -> {
      var p = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
          .setPool(PoolSpec.newBuilder().setName("p").setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.MAGLEV))
          .setValidateOnly(dry).build());
      if (!dry) pool[0] = p.getId();
      return p;
    });
    var backends = new ArrayList<String>();
    for (int i = 1; i <= 3; i++) {
      int n = i;
      sameAsTheRealCall(lb, dry -> {
        var b = api.call(api.backends().createBackend(), CreateBackendRequest.newBuilder().setLoadBalancerId(lb)
            .setPoolId(pool[0]).setBackend(BackendSpec.newBuilder().setAddress("10.0.0." + n).setProtocolPort(8080))
            .setValidateOnly(dry).build());
        if (!dry) backends.add(b.getId());
        return b;
      });
    }
    String[] listener = new String[1];
    sameAsTheRealCall(lb, dry -> {
      var l = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
          .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(80)
              .setDefaultPoolId(pool[0])).setValidateOnly(dry).build());
      if (!dry) listener[0] = l.getId();
      return l;
    });
    DryRun port = sameAsTheRealCall(lb, dry -> api.call(api.listeners().updateListener(), UpdateListenerRequest
        .newBuilder().setLoadBalancerId(lb).setId(listener[0]).setListener(ListenerSpec.newBuilder()
            .setProtocolPort(8080)).setValidateOnly(dry).build()));
    assertThat(port.getDisruption().getConnectionsList()).singleElement().satisfies(c -> {
      assertThat(c.getFate()).isEqualTo(OpenConnections.Fate.CUT_AFTER_DRAIN);
      assertThat(c.getReason()).isEqualTo("protocol_port 80 -> 8080");
      assertThat(c.getCount()).as("no data plane here: not known").isEqualTo(-1);
    });
    assertThat(port.getDisruption().getLiveCounts()).isFalse();
    // An update that changes nothing: no version, no diff, for real and as a dry run.
    sameAsTheRealCall(lb, dry -> api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder()
        .setLoadBalancerId(lb).setId(listener[0]).setListener(ListenerSpec.newBuilder().setProtocolPort(8080))
        .setValidateOnly(dry).build()));
    sameAsTheRealCall(lb, dry -> api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder()
        .setLoadBalancerId(lb).setId(pool[0]).setPool(PoolSpec.newBuilder().setHealthCheckId(hc[0]))
        .setValidateOnly(dry).build()));
    DryRun drain = sameAsTheRealCall(lb, dry -> api.call(api.backends().updateBackend(), UpdateBackendRequest
        .newBuilder().setLoadBalancerId(lb).setId(backends.get(0)).setBackend(BackendSpec.newBuilder().setWeight(0))
        .setValidateOnly(dry).build()));
    assertThat(drain.getDisruption().getPoolsList()).singleElement().satisfies(p -> {
      assertThat(p.getBasis()).isEqualTo(PoolDisruption.Basis.TABLE);
      assertThat(p.getMoved()).isBetween(0.30, 0.37);
    });
    assertThat(drain.getDisruption().getConnectionsList()).extracting(OpenConnections::getReason)
        .containsExactly("weight 1 -> 0");
    DryRun removal = sameAsTheRealCall(lb, dry -> api.call(api.backends().deleteBackend(), DeleteBackendRequest
        .newBuilder().setLoadBalancerId(lb).setId(backends.get(1)).setValidateOnly(dry).build()));
    assertThat(removal.getChangesList()).singleElement().satisfies(c -> {
      assertThat(c.getType()).isEqualTo(Change.Type.REMOVED);
      assertThat(c.getResourceId()).isEqualTo(backends.get(1));
    });
    // 10.0.0.1 drains (weight 0), so 10.0.0.2 and 10.0.0.3 share everything; removing 10.0.0.2 moves its half.
    assertThat(removal.getDisruption().getPools(0).getMovesList()).singleElement().satisfies(m -> {
      assertThat(m.getFromBackendId()).isEqualTo(backends.get(1));
      assertThat(m.getToBackendId()).isEqualTo(backends.get(2));
    });
    sameAsTheRealCall(lb, dry -> api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
        .setLoadBalancerId(lb).setId(listener[0]).setValidateOnly(dry).build()));
    sameAsTheRealCall(lb, dry -> api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder()
        .setLoadBalancerId(lb).setId(pool[0]).setValidateOnly(dry).build()));
    sameAsTheRealCall(lb, dry -> api.call(api.healthChecks().deleteHealthCheck(), DeleteHealthCheckRequest
        .newBuilder().setLoadBalancerId(lb).setId(hc[0]).setValidateOnly(dry).build()));
    api.createPool(lb, "left-behind");
    DryRun gone = sameAsTheRealCall(lb, dry -> api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest
        .newBuilder().setId(lb).setCascade(true).setValidateOnly(dry).build()));
    assertThat(gone.getChangesList()).extracting(Change::getType).containsOnly(Change.Type.REMOVED);
  }

  /** Whatever the real call refuses, the dry run refuses with the same status and message, and journals nothing. */
  @Test
  void aDryRunIsRefusedExactlyAsTheRealCall() {
    TestServer.Api api = server.as("dry-run-refusals");
    String lb = api.createLb("refusals").getId();
    String pool = api.createPool(lb, "p").getId();
    String other = api.createPool(lb, "q").getId();
    api.createListener(lb, 80, pool);
    for (int i = 1; i <= 6; i++) api.createBackend(lb, other, "10.0.1." + i, 80);
    String taken = api.createLb("taken").getId();
    List<Function<Boolean, Object>> refused = List.of(
        dry -> api.call(api.backends().createBackend(), CreateBackendRequest.newBuilder().setLoadBalancerId(lb)
            .setPoolId(pool).setBackend(BackendSpec.newBuilder().setAddress("10.0.0.9").setProtocolPort(80))
            .setValidateOnly(dry).build()), // quota: 6 backends
        dry -> api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
            .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(80)).setValidateOnly(dry)
            .build()), // port taken
        dry -> api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb).setId(pool)
            .setValidateOnly(dry).build()), // in use
        dry -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("taken")).setValidateOnly(dry).build()), // name
        dry -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
            .setExpectedVersion(1).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("x"))
            .setValidateOnly(dry).build()), // stale
        dry -> api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb)
            .setValidateOnly(dry).build()), // children, no cascade
        dry -> api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setLoadBalancer(
            LoadBalancerSpec.newBuilder().setName("taken")).setValidateOnly(dry).build()), // name taken
        dry -> api.call(api.backends().deleteBackend(), DeleteBackendRequest.newBuilder().setLoadBalancerId(lb)
            .setId(taken).setValidateOnly(dry).build())); // not found
    for (var call : refused) {
      long rows = journalRows();
      Status dry = refusal(() -> call.apply(true));
      assertThat(journalRows()).isEqualTo(rows);
      Status real = refusal(() -> call.apply(false));
      assertThat(journalRows()).isEqualTo(rows);
      assertThat(dry.getCode()).isEqualTo(real.getCode());
      assertThat(dry.getDescription()).isEqualTo(real.getDescription());
    }
  }

  private static Status refusal(Runnable call) {
    Throwable[] t = new Throwable[1];
    assertThatThrownBy(() -> {
      try {
        call.run();
      } catch (RuntimeException e) {
        t[0] = e;
        throw e;
      }
    }).isNotNull();
    Status s = statusOf(t[0]);
    assertThat(s.getCode()).isNotIn(Status.Code.OK, Status.Code.INTERNAL, Status.Code.UNKNOWN);
    return s;
  }
}
