package io.fiberlb.it;

import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.GetQuotaRequest;
import io.fiberlb.api.v1.ListQuotaChangesRequest;
import io.fiberlb.api.v1.ListQuotaChangesResponse;
import io.fiberlb.api.v1.Quota;
import io.fiberlb.api.v1.QuotaCounts;
import io.fiberlb.api.v1.QuotaSpec;
import io.fiberlb.api.v1.ResetQuotaRequest;
import io.fiberlb.api.v1.SetQuotaRequest;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * QuotaService against a real server and H2 file: show, set, reset, the history of changes, enforcement of a
 * changed limit on the next create, and a change that survives a restart. Defaults come from config, as
 * FIBERLB_QUOTA_* set them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QuotaTest {
  private static final AtomicInteger projects = new AtomicInteger();
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of("fiberlb.quotas.load-balancers", 5, "fiberlb.quotas.listeners", 7));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private TestServer.Api freshProject() {
    return server.as("quota-" + projects.incrementAndGet()).as("alice");
  }

  private static Quota get(TestServer.Api api) {
    return api.call(api.quotas().getQuota(), GetQuotaRequest.getDefaultInstance());
  }

  private static Quota set(TestServer.Api api, QuotaSpec.Builder spec, String requestId) {
    return api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder().setQuota(spec).setRequestId(requestId).build());
  }

  private static ListQuotaChangesResponse changes(TestServer.Api api) {
    return api.call(api.quotas().listQuotaChanges(), ListQuotaChangesRequest.getDefaultInstance());
  }

  private static void assertStatus(Runnable call, Status.Code code, String messagePart) {
    assertThatThrownBy(call::run).satisfies(t -> {
      Status s = statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
      assertThat(s.getDescription()).contains(messagePart);
    });
  }

  @Test
  void showSetResetAndEnforcementAfterEachChange() {
    var api = freshProject();
    Quota fresh = get(api);
    assertThat(fresh.getLoadBalancers()).isEqualTo(5);
    assertThat(fresh.getListeners()).isEqualTo(7);
    assertThat(fresh.getPools()).isEqualTo(5000);
    assertThat(fresh.getOverriddenList()).isEmpty();
    assertThat(fresh.getInUse()).isEqualTo(QuotaCounts.getDefaultInstance());
    assertThat(fresh.hasUpdatedAt()).isFalse();
    assertThat(fresh.getProject()).startsWith("quota-");

    Quota lowered = set(api, QuotaSpec.newBuilder().setLoadBalancers(2).setListeners(1), "lower-1");
    assertThat(lowered.getLoadBalancers()).isEqualTo(2);
    assertThat(lowered.getListeners()).isEqualTo(1);
    assertThat(lowered.getPools()).isEqualTo(5000);
    assertThat(lowered.getOverriddenList()).containsExactly("load_balancers", "listeners");
    assertThat(lowered.getDefaults().getLoadBalancers()).isEqualTo(5);
    assertThat(lowered.getUpdatedBy()).isEqualTo("local:alice");
    assertThat(get(api)).isEqualTo(lowered);

    // The lowered limits hold on the next creates.
    String a = api.createLb("a").getId();
    api.createLb("b");
    assertStatus(() -> api.createLb("c"), Status.Code.RESOURCE_EXHAUSTED,
        "the project has 2 load balancers, its limit is 2 (quota load_balancers)");
    api.createListener(a, 8080, null);
    assertStatus(() -> api.createListener(a, 8081, null), Status.Code.RESOURCE_EXHAUSTED,
        "would have 2 listeners, its limit is 1 (quota listeners)");
    assertThat(get(api).getInUse()).isEqualTo(QuotaCounts.newBuilder().setLoadBalancers(2).setListeners(1).build());

    // Unlimited (-1) lets them through; the other limit stays as it was set.
    Quota unlimited = set(api, QuotaSpec.newBuilder().setLoadBalancers(-1), "");
    assertThat(unlimited.getLoadBalancers()).isEqualTo(-1);
    assertThat(unlimited.getListeners()).isEqualTo(1);
    api.createLb("c");
    assertStatus(() -> api.createListener(a, 8081, null), Status.Code.RESOURCE_EXHAUSTED, "(quota listeners)");

    // Lower than what the project holds: nothing is removed, nothing new is let in.
    Quota below = set(api, QuotaSpec.newBuilder().setLoadBalancers(1), "");
    assertThat(below.getInUse().getLoadBalancers()).isEqualTo(3);
    assertStatus(() -> api.createLb("d"), Status.Code.RESOURCE_EXHAUSTED, "its limit is 1 (quota load_balancers)");
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(a).setCascade(true).build());
    assertThat(get(api).getInUse().getLoadBalancers()).isEqualTo(2);

    // Reset: the defaults again, and they hold.
    Quota reset = api.call(api.quotas().resetQuota(), ResetQuotaRequest.newBuilder().setRequestId("reset-1").build());
    assertThat(reset.getOverriddenList()).isEmpty();
    assertThat(reset.getLoadBalancers()).isEqualTo(5);
    assertThat(reset.getListeners()).isEqualTo(7);
    api.createLb("d");
    api.createLb("e");
    api.createLb("f");
    assertStatus(() -> api.createLb("g"), Status.Code.RESOURCE_EXHAUSTED, "its limit is 5 (quota load_balancers)");

    // Every change is in the history, newest first, with who made it and from which request.
    var history = changes(api).getChangesList();
    assertThat(history).extracting(c -> c.getType())
        .containsExactly("QuotaReset", "QuotaSet", "QuotaSet", "QuotaSet");
    assertThat(history).allSatisfy(c -> {
      assertThat(c.getActor()).isEqualTo("local:alice");
      assertThat(c.getPeer()).startsWith("127.0.0.1:");
      assertThat(c.hasAt()).isTrue();
    });
    assertThat(history.get(0).getRequestId()).isEqualTo("reset-1");
    assertThat(history.get(3).getRequestId()).isEqualTo("lower-1");
    assertThat(history.get(3).getSet()).isEqualTo(QuotaSpec.newBuilder().setLoadBalancers(2).setListeners(1).build());
  }

  @Test
  void aChangeThatChangesNothingIsNotJournaledAndAnotherProjectKeepsItsOwn() {
    var api = freshProject();
    set(api, QuotaSpec.newBuilder().setPools(3), "");
    set(api, QuotaSpec.newBuilder().setPools(3), "");
    api.call(api.quotas().resetQuota(), ResetQuotaRequest.getDefaultInstance());
    api.call(api.quotas().resetQuota(), ResetQuotaRequest.getDefaultInstance());
    assertThat(changes(api).getChangesList()).extracting(c -> c.getType()).containsExactly("QuotaReset", "QuotaSet");

    set(api, QuotaSpec.newBuilder().setLoadBalancers(0), "");
    assertStatus(() -> api.createLb("x"), Status.Code.RESOURCE_EXHAUSTED, "(quota load_balancers)");
    var other = freshProject();
    assertThat(get(other).getLoadBalancers()).isEqualTo(5);
    assertThat(other.createLb("x").getName()).isEqualTo("x");
  }

  @Test
  void aDryRunAnswersWhatTheChangeThenAnswersAndJournalsNothing() {
    var api = freshProject();
    var spec = QuotaSpec.newBuilder().setPools(4).setBackends(-1);
    Quota dry = api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder().setQuota(spec).setValidateOnly(true)
        .build());
    assertThat(changes(api).getChangesList()).as("nothing journaled by the dry run").isEmpty();
    assertThat(get(api).getPools()).isEqualTo(get(freshProject()).getPools());
    Quota real = set(api, spec, "");
    assertThat(withoutWhen(dry)).isEqualTo(withoutWhen(real));
    assertThat(dry.getPools()).isEqualTo(4);
    assertThat(dry.getBackends()).isEqualTo(-1);
    assertThat(changes(api).getChangesList()).hasSize(1);

    Quota dryReset = api.call(api.quotas().resetQuota(), ResetQuotaRequest.newBuilder().setValidateOnly(true).build());
    assertThat(changes(api).getChangesList()).hasSize(1);
    assertThat(get(api).getPools()).isEqualTo(4);
    Quota reset = api.call(api.quotas().resetQuota(), ResetQuotaRequest.getDefaultInstance());
    assertThat(withoutWhen(dryReset)).isEqualTo(withoutWhen(reset));
    // The same rules: a bad limit is refused by the dry run as by the change.
    assertStatus(() -> api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder()
        .setQuota(QuotaSpec.newBuilder().setPools(-2)).setValidateOnly(true).build()), Status.Code.INVALID_ARGUMENT,
        "quota.pools");
  }

  private static Quota withoutWhen(Quota q) {
    return q.toBuilder().clearUpdatedAt().build();
  }

  @Test
  void badLimitsAreRefusedNamingTheFieldAndChangeNothing() {
    var api = freshProject();
    set(api, QuotaSpec.newBuilder().setBackends(10), "");
    assertStatus(() -> set(api, QuotaSpec.newBuilder().setBackends(-2), ""), Status.Code.INVALID_ARGUMENT,
        "quota.backends: must be -1 (unlimited) or 0 or more, got -2");
    assertStatus(() -> set(api, QuotaSpec.newBuilder().setListeners(4).setPools(Integer.MIN_VALUE), ""),
        Status.Code.INVALID_ARGUMENT, "quota.pools: must be -1 (unlimited) or 0 or more");
    assertStatus(() -> set(api, QuotaSpec.newBuilder(), ""), Status.Code.INVALID_ARGUMENT,
        "quota: give at least one of load_balancers, listeners, pools, backends, health_checks");
    assertStatus(() -> set(api, QuotaSpec.newBuilder().setPools(1), "bad id with spaces"),
        Status.Code.INVALID_ARGUMENT, "request_id");
    Quota after = get(api);
    assertThat(after.getBackends()).isEqualTo(10);
    assertThat(after.getListeners()).isEqualTo(7);
    assertThat(after.getOverriddenList()).containsExactly("backends");
    assertThat(changes(api).getChangesCount()).isEqualTo(1);
  }

  @Test
  void aChangedQuotaSurvivesARestart() {
    var api = freshProject();
    String project = get(api).getProject();
    set(api, QuotaSpec.newBuilder().setLoadBalancers(1).setHealthChecks(-1), "keep");
    api.createLb("only");
    server.stop();
    server.start();
    var again = server.as(project);
    Quota q = get(again);
    assertThat(q.getLoadBalancers()).isEqualTo(1);
    assertThat(q.getHealthChecks()).isEqualTo(-1);
    assertThat(q.getOverriddenList()).containsExactly("load_balancers", "health_checks");
    assertThat(q.getInUse().getLoadBalancers()).isEqualTo(1);
    assertStatus(() -> again.createLb("second"), Status.Code.RESOURCE_EXHAUSTED, "(quota load_balancers)");
    assertThat(changes(again).getChanges(0).getRequestId()).isEqualTo("keep");
  }
}
