package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.CreateL7PolicyRequest;
import io.fiberlb.api.v1.CreateL7RuleRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeleteCertificateRequest;
import io.fiberlb.api.v1.DeleteL7PolicyRequest;
import io.fiberlb.api.v1.DeleteL7RuleRequest;
import io.fiberlb.api.v1.GetQuotaRequest;
import io.fiberlb.api.v1.L7Policy;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.L7Rule;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.Quota;
import io.fiberlb.api.v1.QuotaSpec;
import io.fiberlb.api.v1.SetQuotaRequest;
import io.fiberlb.it.CertKit.Alg;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The L7 quotas (l7_policies, l7_rules, certificates) through a real gRPC client against a real server with a real
 * H2 journal: the defaults from config, a create over a limit refused naming the quota with nothing journaled (a
 * dry run answers the same), a create at the limit allowed again after a delete, a project's own limit over the
 * default, and the counts in GetQuota's in_use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7QuotaTest {
  private static final AtomicInteger projects = new AtomicInteger();
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Files.createTempDirectory("l7quota"), Map.of("fiberlb.quotas.l7-policies", 2,
        "fiberlb.quotas.l7-rules", 2, "fiberlb.quotas.certificates", 1));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private TestServer.Api freshProject() {
    return server.as("l7quota-" + projects.incrementAndGet());
  }

  private static Quota quota(TestServer.Api api) {
    return api.call(api.quotas().getQuota(), GetQuotaRequest.getDefaultInstance());
  }

  /** Refused RESOURCE_EXHAUSTED with {@code message}, and nothing journaled. */
  private void exhausted(String message, Supplier<Object> call) {
    long before = server.journalRows(false);
    assertThatThrownBy(call::get).satisfies(t -> {
      Status s = TestServer.statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).contains(message);
    });
    assertThat(server.journalRows(false)).as("journal rows").isEqualTo(before);
  }

  private static L7PolicySpec.Builder reject(String name) {
    return L7PolicySpec.newBuilder().setName(name).setAction(L7Policy.Action.REJECT);
  }

  private static L7RuleSpec.Builder path(String value) {
    return L7RuleSpec.newBuilder().setType(L7Rule.Type.PATH).setCompareType(L7Rule.CompareType.STARTS_WITH)
        .setValue(value);
  }

  @Test
  void policiesAndRulesOverTheLimitAreRefusedNamingTheQuotaAndADeleteMakesRoom() {
    var api = freshProject();
    Quota fresh = quota(api);
    assertThat(fresh.getL7Policies()).isEqualTo(2);
    assertThat(fresh.getL7Rules()).isEqualTo(2);
    assertThat(fresh.getDefaults().getL7Policies()).isEqualTo(2);
    assertThat(fresh.getInUse().getL7Policies()).isZero();

    String lb = api.createLb("web").getId();
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
    String listener = api.createHttpListener(lb, 80, pool).getId();
    String other = api.createHttpListener(lb, 81, pool).getId();
    L7Policy first = api.createL7Policy(lb, listener, reject("a"));
    api.createL7Policy(lb, other, reject("b")); // counted over all the project's listeners

    String policies = "the project would have 3 L7 policies, its limit is 2 (quota l7_policies)";
    exhausted(policies, () -> api.createL7Policy(lb, listener, reject("c")));
    exhausted(policies, () -> api.call(api.l7policies().createL7Policy(), CreateL7PolicyRequest.newBuilder()
        .setLoadBalancerId(lb).setListenerId(listener).setL7Policy(reject("c")).setValidateOnly(true).build()));
    // A second load balancer of the project counts against the same limit.
    String lb2 = api.createLb("api").getId();
    String pool2 = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb2)
        .setPool(PoolSpec.newBuilder().setName("api").setProtocol(Protocol.HTTP)).build()).getId();
    String listener2 = api.createHttpListener(lb2, 80, pool2).getId();
    exhausted(policies, () -> api.createL7Policy(lb2, listener2, reject("d")));

    api.createL7Rule(lb, first.getId(), path("/a"));
    L7Rule second = api.createL7Rule(lb, first.getId(), path("/b"));
    String rules = "the project would have 3 L7 rules, its limit is 2 (quota l7_rules)";
    exhausted(rules, () -> api.createL7Rule(lb, first.getId(), path("/c")));
    exhausted(rules, () -> api.call(api.l7rules().createL7Rule(), CreateL7RuleRequest.newBuilder()
        .setLoadBalancerId(lb).setL7PolicyId(first.getId()).setL7Rule(path("/c")).setValidateOnly(true).build()));
    assertThat(quota(api).getInUse().getL7Policies()).isEqualTo(2);
    assertThat(quota(api).getInUse().getL7Rules()).isEqualTo(2);

    // At the limit after a delete: allowed again.
    api.call(api.l7rules().deleteL7Rule(), DeleteL7RuleRequest.newBuilder().setLoadBalancerId(lb)
        .setId(second.getId()).build());
    api.createL7Rule(lb, first.getId(), path("/c"));
    // A policy deleted takes its rules with it, and gives back both counts.
    api.call(api.l7policies().deleteL7Policy(), DeleteL7PolicyRequest.newBuilder().setLoadBalancerId(lb)
        .setId(first.getId()).build());
    // The delete's count reaches the project just after its answer (a Sync): polled, with a deadline.
    Poll.until("in_use after the delete", Duration.ofSeconds(10), () -> quota(api).getInUse(),
        u -> u.getL7Policies() == 1 && u.getL7Rules() == 0);
    L7Policy again = api.createL7Policy(lb2, listener2, reject("d"));
    api.createL7Rule(lb2, again.getId(), path("/x"));
    api.createL7Rule(lb2, again.getId(), path("/y"));
    exhausted(rules, () -> api.createL7Rule(lb2, again.getId(), path("/z")));

    // The project's own limit goes over the default.
    api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder().setQuota(QuotaSpec.newBuilder().setL7Policies(3)
        .setL7Rules(-1)).build());
    api.createL7Policy(lb, listener, reject("e"));
    api.createL7Rule(lb2, again.getId(), path("/z"));
    exhausted("the project would have 4 L7 policies, its limit is 3 (quota l7_policies)",
        () -> api.createL7Policy(lb, listener, reject("f")));
    Quota set = quota(api);
    assertThat(set.getOverriddenList()).containsExactly("l7_policies", "l7_rules");
    assertThat(set.getInUse().getL7Policies()).isEqualTo(3);
    assertThat(set.getInUse().getL7Rules()).isEqualTo(3);
  }

  private static CreateCertificateRequest.Builder certificate(String name, CertKit.Made made) {
    return CreateCertificateRequest.newBuilder().setName(name)
        .setCertificatePem(ByteString.copyFrom(made.certPem(), StandardCharsets.UTF_8))
        .setPrivateKeyPem(ByteString.copyFrom(made.keyPem(), StandardCharsets.UTF_8));
  }

  @Test
  void certificatesOverTheLimitAreRefusedNamingTheQuotaAndADeleteMakesRoom() {
    var api = freshProject();
    CertKit.Made ca = CertKit.ca("Quota CA");
    CertKit.Made leaf = CertKit.leaf(ca, Alg.EC, "www.example.com");
    Certificate first = api.call(api.certificates().createCertificate(), certificate("one", leaf).build());
    assertThat(quota(api).getInUse().getCertificates()).isEqualTo(1);

    String message = "the project would have 2 certificates, its limit is 1 (quota certificates)";
    exhausted(message, () -> api.call(api.certificates().createCertificate(), certificate("two", leaf).build()));
    exhausted(message, () -> api.call(api.certificates().createCertificate(), certificate("two", leaf)
        .setValidateOnly(true).build()));
    // Another project has its own count.
    var other = freshProject();
    other.call(other.certificates().createCertificate(), certificate("one", leaf).build());

    api.call(api.certificates().deleteCertificate(), DeleteCertificateRequest.newBuilder().setId(first.getId())
        .build());
    assertThat(quota(api).getInUse().getCertificates()).isZero();
    api.call(api.certificates().createCertificate(), certificate("two", leaf).build());

    api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder().setQuota(QuotaSpec.newBuilder()
        .setCertificates(2)).build());
    api.call(api.certificates().createCertificate(), certificate("three", leaf).build());
    exhausted("the project would have 3 certificates, its limit is 2 (quota certificates)",
        () -> api.call(api.certificates().createCertificate(), certificate("four", leaf).build()));
    assertThat(quota(api).getInUse().getCertificates()).isEqualTo(2);
    assertThat(quota(api).getCertificates()).isEqualTo(2);
  }

  @Test
  void aBadL7LimitIsRefusedNamingItsField() {
    var api = freshProject();
    assertThatThrownBy(() -> api.call(api.quotas().setQuota(), SetQuotaRequest.newBuilder()
        .setQuota(QuotaSpec.newBuilder().setL7Rules(-2)).build())).satisfies(t -> {
          Status s = TestServer.statusOf(t);
          assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(s.getDescription()).contains("quota.l7_rules: must be -1 (unlimited) or 0 or more, got -2");
        });
    assertThat(quota(api).getOverriddenList()).isEmpty();
  }
}
