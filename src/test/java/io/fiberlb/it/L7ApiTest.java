package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.*;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * L7 policies and rules, and the listener, pool and health check fields of issue 12, through a real gRPC client
 * against a real server with a real H2 journal: create/update/delete, Octavia's position renumbering, every refusal
 * naming its field and journaling nothing, cascades, the audit's diff, dry runs, and replay after a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7ApiTest {
  private Path dataDir;
  private TestServer server;
  private TestServer.Api api;
  private String lb;
  private String httpPool;
  private String httpListener;

  @BeforeAll
  void start() throws Exception {
    dataDir = Files.createTempDirectory("l7api");
    server = new TestServer(dataDir, Map.of());
    api = server.as("l7");
    lb = api.createLb("l7").getId();
    httpPool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
    httpListener = api.createHttpListener(lb, 80, httpPool).getId();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private long journalRows() {
    return server.journalRows(false);
  }

  /** The call is refused with {@code code}, its message names {@code field}, and nothing is journaled. */
  private void refused(Status.Code code, String field, Supplier<Object> call) {
    long before = journalRows();
    assertThatThrownBy(call::get).satisfies(t -> {
      Status s = TestServer.statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
      assertThat(s.getDescription()).contains(field);
    });
    assertThat(journalRows()).isEqualTo(before);
  }

  /** A read that is answered {@code code} naming {@code what} (reads journal nothing, but a delete's project sync may). */
  private static void answers(Status.Code code, String what, Supplier<Object> call) {
    assertThatThrownBy(call::get).satisfies(t -> {
      Status s = TestServer.statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
      assertThat(s.getDescription()).contains(what);
    });
  }

  private L7Policy policy(String listener, L7PolicySpec.Builder spec) {
    return api.createL7Policy(lb, listener, spec);
  }

  private List<L7Policy> policiesOf(String listener) {
    return api.call(api.l7policies().listL7Policies(), ListL7PoliciesRequest.newBuilder().setLoadBalancerId(lb)
        .setListenerId(listener).build()).getL7PoliciesList();
  }

  private Map<String, Integer> positions(String listener) {
    var out = new java.util.TreeMap<String, Integer>();
    for (L7Policy p : policiesOf(listener)) out.put(p.getName(), p.getPosition());
    return out;
  }

  @Test
  void positionsAreRenumberedAsOctaviaDoes() {
    String l = api.createHttpListener(lb, 81, httpPool).getId();
    var a = policy(l, L7PolicySpec.newBuilder().setName("a").setAction(L7Policy.Action.REJECT));
    assertThat(a.getPosition()).isEqualTo(1);
    policy(l, L7PolicySpec.newBuilder().setName("b").setAction(L7Policy.Action.REJECT));
    // Inserted first: a and b move down.
    var c = policy(l, L7PolicySpec.newBuilder().setName("c").setAction(L7Policy.Action.REJECT).setPosition(1));
    assertThat(c.getPosition()).isEqualTo(1);
    assertThat(positions(l)).isEqualTo(Map.of("c", 1, "a", 2, "b", 3));
    // Past the end: last.
    var d = policy(l, L7PolicySpec.newBuilder().setName("d").setAction(L7Policy.Action.REJECT).setPosition(99));
    assertThat(d.getPosition()).isEqualTo(4);
    // Moved: from 4 to 2.
    var moved = api.call(api.l7policies().updateL7Policy(), UpdateL7PolicyRequest.newBuilder().setLoadBalancerId(lb)
        .setId(d.getId()).setL7Policy(L7PolicySpec.newBuilder().setPosition(2)).build());
    assertThat(moved.getPosition()).isEqualTo(2);
    assertThat(positions(l)).isEqualTo(Map.of("c", 1, "d", 2, "a", 3, "b", 4));
    // A delete closes the gap.
    api.call(api.l7policies().deleteL7Policy(), DeleteL7PolicyRequest.newBuilder().setLoadBalancerId(lb)
        .setId(c.getId()).build());
    assertThat(positions(l)).isEqualTo(Map.of("d", 1, "a", 2, "b", 3));
  }

  @Test
  void policiesAndRulesRoundTripAndRefusalsNameTheirField() {
    var p = policy(httpListener, L7PolicySpec.newBuilder().setName("to-api").setAction(L7Policy.Action.REDIRECT_TO_POOL)
        .setRedirectPoolId(httpPool));
    assertThat(p.getRedirectPoolId()).isEqualTo(httpPool);
    assertThat(p.getRedirectHttpCode()).isEqualTo(302);
    assertThat(p.getListenerId()).isEqualTo(httpListener);
    var r = api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder().setType(L7Rule.Type.HEADER).setKey("X-Env")
        .setCompareType(L7Rule.CompareType.REGEX).setValue("^prod-[0-9]+$").setInvert(true));
    assertThat(r.getL7PolicyId()).isEqualTo(p.getId());
    assertThat(r.getKey()).isEqualTo("X-Env");
    assertThat(r.getInvert()).isTrue();
    var got = api.call(api.l7rules().getL7Rule(), GetL7RuleRequest.newBuilder().setLoadBalancerId(lb)
        .setId(r.getId()).build());
    assertThat(got.getValue()).isEqualTo("^prod-[0-9]+$");
    // Changing the action drops the old target.
    var rejected = api.call(api.l7policies().updateL7Policy(), UpdateL7PolicyRequest.newBuilder().setLoadBalancerId(lb)
        .setId(p.getId()).setL7Policy(L7PolicySpec.newBuilder().setAction(L7Policy.Action.REDIRECT_TO_URL)
            .setRedirectUrl("https://example.com/moved").setRedirectHttpCode(301)).build());
    assertThat(rejected.getRedirectPoolId()).isEmpty();
    assertThat(rejected.getRedirectUrl()).isEqualTo("https://example.com/moved");

    var invalid = Status.Code.INVALID_ARGUMENT;
    refused(invalid, "l7rule.value", () -> api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder()
        .setType(L7Rule.Type.PATH).setCompareType(L7Rule.CompareType.REGEX).setValue("/api/(unclosed")));
    refused(invalid, "l7rule.key", () -> api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder()
        .setType(L7Rule.Type.COOKIE).setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("x")));
    refused(invalid, "l7rule.key", () -> api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder()
        .setType(L7Rule.Type.PATH).setKey("X-No").setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("/x")));
    refused(invalid, "l7rule.compare_type", () -> api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder()
        .setType(L7Rule.Type.FILE_TYPE).setCompareType(L7Rule.CompareType.STARTS_WITH).setValue("jp")));
    refused(invalid, "l7rule.type", () -> api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder()
        .setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("/x")));
    refused(invalid, "l7policy.redirect_http_code", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REDIRECT_TO_URL).setRedirectUrl("https://x.example/").setRedirectHttpCode(200)));
    refused(invalid, "l7policy.redirect_url", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REDIRECT_TO_URL)));
    refused(invalid, "l7policy.redirect_url", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REDIRECT_TO_URL).setRedirectUrl("ftp://x.example/")));
    refused(invalid, "l7policy.redirect_prefix", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REJECT).setRedirectPrefix("https://x.example")));
    refused(invalid, "l7policy.position", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REJECT).setPosition(0)));
    refused(invalid, "l7policy.action", () -> policy(httpListener, L7PolicySpec.newBuilder().setName("no-action")));
    // A pool of another load balancer is no pool of this one.
    String otherLb = api.createLb("l7-other").getId();
    String otherPool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(otherLb)
        .setPool(PoolSpec.newBuilder().setProtocol(Protocol.HTTP)).build()).getId();
    refused(Status.Code.NOT_FOUND, "l7policy.redirect_pool_id", () -> policy(httpListener, L7PolicySpec.newBuilder()
        .setAction(L7Policy.Action.REDIRECT_TO_POOL).setRedirectPoolId(otherPool)));
    // L7 policies need an HTTP listener.
    String tcpListener = api.createListener(lb, 9000, null).getId();
    refused(Status.Code.FAILED_PRECONDITION, "l7policy.listener_id", () -> policy(tcpListener,
        L7PolicySpec.newBuilder().setAction(L7Policy.Action.REJECT)));
    refused(Status.Code.NOT_FOUND, "listener_id", () -> policy(UUID.randomUUID().toString(),
        L7PolicySpec.newBuilder().setAction(L7Policy.Action.REJECT)));
  }

  @Test
  void aPoolAPolicyRedirectsToCannotBeDeletedAndAListenerTakesItsPoliciesAndRulesWithIt() {
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("images").setProtocol(Protocol.HTTP)).build()).getId();
    String l = api.createHttpListener(lb, 82, null).getId();
    var p = policy(l, L7PolicySpec.newBuilder().setName("img").setAction(L7Policy.Action.REDIRECT_TO_POOL)
        .setRedirectPoolId(pool));
    var r = api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder().setType(L7Rule.Type.FILE_TYPE)
        .setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("png"));
    refused(Status.Code.FAILED_PRECONDITION, "L7 policy " + p.getId(), () -> api.call(api.pools().deletePool(),
        DeletePoolRequest.newBuilder().setLoadBalancerId(lb).setId(pool).build()));

    api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb).setId(l)
        .build());
    for (String gone : List.of(p.getId())) {
      answers(Status.Code.NOT_FOUND, "L7 policy " + gone, () -> api.call(api.l7policies().getL7Policy(),
          GetL7PolicyRequest.newBuilder().setLoadBalancerId(lb).setId(gone).build()));
    }
    answers(Status.Code.NOT_FOUND, "L7 rule " + r.getId(), () -> api.call(api.l7rules().getL7Rule(),
        GetL7RuleRequest.newBuilder().setLoadBalancerId(lb).setId(r.getId()).build()));
    // Now nothing holds the pool.
    api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb).setId(pool).build());
  }

  @Test
  void listenerPoolAndHealthCheckFieldsOfIssue12() {
    var invalid = Status.Code.INVALID_ARGUMENT;
    // A certificate of this project, made through the Certificate API (listeners' refs are checked against them).
    CertKit.Made made = CertKit.leaf(CertKit.ca("L7ApiTest CA"), CertKit.Alg.EC, "www.example.test");
    String cert = api.call(api.certificates().createCertificate(), io.fiberlb.api.v1.CreateCertificateRequest
        .newBuilder().setName("l7-api-" + System.nanoTime())
        .setCertificatePem(com.google.protobuf.ByteString.copyFromUtf8(made.certPem()))
        .setPrivateKeyPem(com.google.protobuf.ByteString.copyFromUtf8(made.keyPem())).build()).getId();
    refused(Status.Code.NOT_FOUND, "listener.default_tls_container_ref", () -> api.call(api.listeners()
        .createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec
            .newBuilder().setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(450).setDefaultPoolId(httpPool)
            .setDefaultTlsContainerRef(UUID.randomUUID().toString())).build()));
    var https = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
        .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(443)
            .setDefaultPoolId(httpPool).setDefaultTlsContainerRef(cert).addSniContainerRefs(cert)
            .addTlsVersions("TLSv1.3").addAlpnProtocols("h2").addAlpnProtocols("http/1.1")
            .putInsertHeaders("X-Forwarded-For", "true").putInsertHeaders("X-Forwarded-Proto", "false")
            .setAcceptProxyProtocol(true)).build());
    assertThat(https.getDefaultTlsContainerRef()).isEqualTo(cert);
    assertThat(https.getInsertHeadersMap()).containsEntry("X-Forwarded-For", "true");
    assertThat(https.getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    assertThat(https.getClientAuthentication()).isEqualTo(Listener.ClientAuthentication.NONE);

    refused(invalid, "listener.default_tls_container_ref", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(444)).build()));
    refused(invalid, "listener.sni_container_refs", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.TCP).setProtocolPort(445).addSniContainerRefs(cert)).build()));
    refused(invalid, "listener.insert_headers", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.TCP).setProtocolPort(446).putInsertHeaders("X-Forwarded-For", "true")).build()));
    refused(invalid, "listener.insert_headers", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.HTTP).setProtocolPort(447).putInsertHeaders("X-Evil", "true")).build()));
    refused(invalid, "listener.client_authentication", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(448).setDefaultTlsContainerRef(cert)
            .setClientAuthentication(Listener.ClientAuthentication.MANDATORY)).build()));
    refused(invalid, "listener.tls_versions", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(449).setDefaultTlsContainerRef(cert)
            .addTlsVersions("SSLv3")).build()));
    refused(invalid, "listener.protocol", () -> api.call(api.listeners().createListener(),
        CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder()
            .setProtocol(Protocol.PROXY).setProtocolPort(450)).build()));
    // Octavia's listener/pool protocol pairs: a TCP pool behind an HTTP listener is refused.
    String tcpPool = api.createPool(lb, "tcp-for-http").getId();
    refused(Status.Code.FAILED_PRECONDITION, "listener.default_pool_id", () -> api.createHttpListener(lb, 451, tcpPool));

    var appCookie = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setProtocol(Protocol.HTTP).setSessionPersistence(SessionPersistence.newBuilder()
            .setType(SessionPersistence.Type.APP_COOKIE).setCookieName("JSESSIONID"))).build());
    assertThat(appCookie.getSessionPersistence().getCookieName()).isEqualTo("JSESSIONID");
    refused(invalid, "pool.session_persistence.cookie_name", () -> api.call(api.pools().createPool(),
        CreatePoolRequest.newBuilder().setLoadBalancerId(lb).setPool(PoolSpec.newBuilder().setProtocol(Protocol.HTTP)
            .setSessionPersistence(SessionPersistence.newBuilder().setType(SessionPersistence.Type.APP_COOKIE)))
            .build()));
    refused(invalid, "pool.session_persistence.cookie_name", () -> api.call(api.pools().createPool(),
        CreatePoolRequest.newBuilder().setLoadBalancerId(lb).setPool(PoolSpec.newBuilder().setProtocol(Protocol.HTTP)
            .setSessionPersistence(SessionPersistence.newBuilder().setType(SessionPersistence.Type.HTTP_COOKIE)
                .setCookieName("x"))).build()));
    refused(invalid, "pool.session_persistence.type", () -> api.call(api.pools().createPool(),
        CreatePoolRequest.newBuilder().setLoadBalancerId(lb).setPool(PoolSpec.newBuilder().setProtocol(Protocol.TCP)
            .setSessionPersistence(SessionPersistence.newBuilder().setType(SessionPersistence.Type.HTTP_COOKIE)))
            .build()));
    var proxyPool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setProtocol(Protocol.PROXYV2)).build());
    assertThat(proxyPool.getProtocol()).isEqualTo(Protocol.PROXYV2);

    var hc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb).setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.HTTPS)
            .setDomainName("api.example.com").setHttpVersion("1.1")).build());
    assertThat(hc.getDomainName()).isEqualTo("api.example.com");
    refused(invalid, "health_check.http_version", () -> api.call(api.healthChecks().createHealthCheck(),
        CreateHealthCheckRequest.newBuilder().setLoadBalancerId(lb).setHealthCheck(HealthCheckSpec.newBuilder()
            .setType(HealthCheck.Type.HTTP).setHttpVersion("2")).build()));
    refused(invalid, "health_check.domain_name", () -> api.call(api.healthChecks().createHealthCheck(),
        CreateHealthCheckRequest.newBuilder().setLoadBalancerId(lb).setHealthCheck(HealthCheckSpec.newBuilder()
            .setType(HealthCheck.Type.TLS_HELLO).setDomainName("a.example").setHttpVersion("1.1")).build()));
  }

  @Test
  void aDryRunJournalsNothingAndTheAuditDiffShowsPoliciesAndRules() {
    String l = api.createHttpListener(lb, 83, httpPool).getId();
    long rows = journalRows();
    var dry = api.call(api.l7policies().createL7Policy(), CreateL7PolicyRequest.newBuilder().setLoadBalancerId(lb)
        .setListenerId(l).setValidateOnly(true)
        .setL7Policy(L7PolicySpec.newBuilder().setName("dry").setAction(L7Policy.Action.REJECT)).build());
    assertThat(dry.hasDryRun()).isTrue();
    assertThat(dry.getPosition()).isEqualTo(1);
    assertThat(journalRows()).isEqualTo(rows);
    assertThat(policiesOf(l)).isEmpty();

    long before = api.getLb(lb).getVersion();
    var p = policy(l, L7PolicySpec.newBuilder().setName("audited").setAction(L7Policy.Action.REJECT));
    var r = api.createL7Rule(lb, p.getId(), L7RuleSpec.newBuilder().setType(L7Rule.Type.HOST_NAME)
        .setCompareType(L7Rule.CompareType.ENDS_WITH).setValue(".example.com"));
    var diff = api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(PointInTime.newBuilder().setVersion(before)).build());
    assertThat(diff.getChangesList()).extracting(Change::getType, Change::getResourceKind, Change::getResourceId)
        .contains(org.assertj.core.groups.Tuple.tuple(Change.Type.ADDED, "l7policy", p.getId()),
            org.assertj.core.groups.Tuple.tuple(Change.Type.ADDED, "l7rule", r.getId()));
  }

  @Test
  void policiesAndRulesReplayAfterARestart() {
    String l = api.createHttpListener(lb, 84, httpPool).getId();
    policy(l, L7PolicySpec.newBuilder().setName("first").setAction(L7Policy.Action.REJECT));
    var second = policy(l, L7PolicySpec.newBuilder().setName("second").setAction(L7Policy.Action.REDIRECT_PREFIX)
        .setRedirectPrefix("https://new.example.com").setRedirectHttpCode(308).setPosition(1));
    var rule = api.createL7Rule(lb, second.getId(), L7RuleSpec.newBuilder().setType(L7Rule.Type.COOKIE)
        .setKey("beta").setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("1"));
    var policiesBefore = policiesOf(l);
    server.close();
    server = new TestServer(dataDir, Map.of());
    api = server.as("l7");
    assertThat(policiesOf(l)).isEqualTo(policiesBefore);
    assertThat(positions(l)).isEqualTo(Map.of("second", 1, "first", 2));
    assertThat(api.call(api.l7rules().getL7Rule(), GetL7RuleRequest.newBuilder().setLoadBalancerId(lb)
        .setId(rule.getId()).build()).getKey()).isEqualTo("beta");
  }
}
