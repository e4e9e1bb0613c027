package io.fiberlb.it;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static io.fiberlb.it.TlsClients.handshake;
import static io.fiberlb.it.TlsClients.sClient;
import static io.fiberlb.it.TlsClients.trusting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.L7Policy.Action;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.L7Rule.CompareType;
import io.fiberlb.api.v1.L7Rule.Type;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.SessionPersistence;
import io.fiberlb.api.v1.UpdateCertificateRequest;
import io.fiberlb.dataplane.ProxyProtocolBackend;
import io.fiberlb.dataplane.http.Clients;
import io.fiberlb.dataplane.http.HttpBackend;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import io.fiberlb.util.Hashes;
import java.io.IOException;
import java.net.CookieManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 12's list of L7 tests, through the product as a user meets it: one real server, everything configured
 * through its gRPC API (certificates through the Certificate API, listeners, pools with cookie persistence, L7
 * policies of every action and rules of every type), real HTTP backends on loopback, and real clients: the JDK's
 * HttpClient and SSLSocket, {@code curl} (HTTP/1.1, h2c with prior knowledge, h2 over TLS) and {@code openssl
 * s_client}, both run as processes. docs/testing-l7.md maps each item of the issue to its test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L7AcceptanceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private TestServer server;
  private TestServer.Api api;
  private Path dir;
  private final Map<String, HttpBackend> backends = new LinkedHashMap<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private LoadBalancer lb;
  private String vip;
  private int httpPort;
  private int httpsPort;
  private Made ca;
  private Made fallback;
  private Made certA;
  private Made certB;
  private String secure;
  private List<String> secureRefs;
  private Path caFile;

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("fiberlb-l7-acceptance");
    httpPort = DataPlaneTest.freePort();
    httpsPort = DataPlaneTest.freePort();
    server = new TestServer(dir.resolve("data"), new HashMap<>(DataPlaneTest.FAST));
    api = server.as("l7-acceptance");
    for (String name : List.of("def", "api", "static", "tenant", "beta", "one", "two", "three")) {
      HttpBackend b = new HttpBackend(name);
      backends.put(name, b);
      closing.add(b);
    }
    lb = api.createLb("shop");
    vip = lb.getVipAddress();
    String id = lb.getId();
    String def = pool("def", SessionPersistence.getDefaultInstance(), "def");
    String apiPool = pool("api", SessionPersistence.getDefaultInstance(), "api");
    String staticPool = pool("static", SessionPersistence.getDefaultInstance(), "static");
    String tenant = pool("tenant", SessionPersistence.getDefaultInstance(), "tenant");
    String beta = pool("beta", SessionPersistence.getDefaultInstance(), "beta");
    String sticky = pool("sticky", SessionPersistence.newBuilder().setType(SessionPersistence.Type.HTTP_COOKIE)
        .build(), "one", "two", "three");
    String app = pool("app", SessionPersistence.newBuilder().setType(SessionPersistence.Type.APP_COOKIE)
        .setCookieName("SESSION").build(), "one", "two", "three");

    String http = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(id)
        .setListener(ListenerSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP).setProtocolPort(httpPort)
            .setDefaultPoolId(def).putInsertHeaders("X-Forwarded-For", "true")).build()).getId();
    policy(http, spec(Action.REJECT), rule(Type.PATH, CompareType.STARTS_WITH, "", "/admin"));
    for (int code : List.of(301, 302, 303, 307, 308)) {
      policy(http, spec(Action.REDIRECT_TO_URL).setRedirectUrl("https://moved.example.test/" + code)
          .setRedirectHttpCode(code), rule(Type.PATH, CompareType.EQUAL_TO, "", "/r" + code));
    }
    policy(http, spec(Action.REDIRECT_TO_URL).setRedirectUrl("https://moved.example.test/default"),
        rule(Type.PATH, CompareType.EQUAL_TO, "", "/r-default"));
    policy(http, spec(Action.REDIRECT_PREFIX).setRedirectPrefix("https://new.example.test").setRedirectHttpCode(308),
        rule(Type.HOST_NAME, CompareType.EQUAL_TO, "", "old.example.test"));
    policy(http, toPool(apiPool), rule(Type.HOST_NAME, CompareType.EQUAL_TO, "", "api.example.test"));
    policy(http, toPool(staticPool), rule(Type.FILE_TYPE, CompareType.EQUAL_TO, "", "png"));
    policy(http, toPool(tenant), rule(Type.HEADER, CompareType.EQUAL_TO, "X-Tenant", "blue"));
    policy(http, toPool(beta), rule(Type.COOKIE, CompareType.EQUAL_TO, "channel", "beta"));
    policy(http, toPool(sticky), rule(Type.PATH, CompareType.STARTS_WITH, "", "/sticky"));
    policy(http, toPool(app), rule(Type.PATH, CompareType.STARTS_WITH, "", "/app"));

    // TERMINATED_HTTPS: a default certificate (also for the VIP's address) and two SNI certificates, all through the API.
    ca = CertKit.ca("L7Acceptance CA");
    fallback = CertKit.leaf(ca, Alg.EC, "default.example.test", vip);
    certA = CertKit.leaf(ca, Alg.EC, "a.example.test");
    certB = CertKit.leaf(ca, Alg.RSA, "b.example.test");
    caFile = dir.resolve("ca.pem");
    Files.writeString(caFile, ca.certPem());
    String fallbackId = api.createCertificate("default", fallback).getId();
    String certAId = api.createCertificate("a", certA).getId();
    String certBId = api.createCertificate("b", certB).getId();
    // ALPN offers h2 only when asked (alpn_protocols empty means http/1.1, as the API documents).
    secureRefs = List.of(certAId, certBId);
    secure = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(id)
        .setListener(ListenerSpec.newBuilder().setName("secure").addAlpnProtocols("h2").addAlpnProtocols("http/1.1")
            .setAlpnProtocolsSet(true).setProtocol(Protocol.TERMINATED_HTTPS)
            .setProtocolPort(httpsPort).setDefaultPoolId(def).setDefaultTlsContainerRef(fallbackId)
            .addSniContainerRefs(certAId).addSniContainerRefs(certBId).setSniContainerRefsSet(true)
            .putInsertHeaders("X-Forwarded-For", "true").putInsertHeaders("X-Forwarded-Proto", "true")).build())
        .getId();

    // Every change is published in order: once the last policy routes, the listener has them all.
    Poll.until("the last policy (/app -> app pool) applied", DEADLINE, () -> backendOf(get("/app/ready")),
        Set.of("one", "two", "three")::contains);
    Poll.until("the HTTPS listener serving", DEADLINE, () -> handshake(trusting(ca.cert()), vip, httpsPort, null),
        c -> c != null);
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) server.close();
    for (AutoCloseable c : closing) c.close();
  }

  // ------------------------------------------------------------------ configuration through the API

  private String pool(String name, SessionPersistence persistence, String... members) {
    var spec = PoolSpec.newBuilder().setName(name).setProtocol(Protocol.HTTP);
    if (persistence.getType() != SessionPersistence.Type.TYPE_UNSPECIFIED) spec.setSessionPersistence(persistence);
    String id = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(spec).build()).getId();
    for (String m : members) api.createBackend(lb.getId(), id, "127.0.0.1", backends.get(m).port());
    return id;
  }

  private static L7PolicySpec.Builder spec(Action action) {
    return L7PolicySpec.newBuilder().setAction(action);
  }

  private static L7PolicySpec.Builder toPool(String pool) {
    return spec(Action.REDIRECT_TO_POOL).setRedirectPoolId(pool);
  }

  private static L7RuleSpec.Builder rule(Type type, CompareType compare, String key, String value) {
    var r = L7RuleSpec.newBuilder().setType(type).setCompareType(compare).setValue(value);
    return key.isEmpty() ? r : r.setKey(key);
  }

  private void policy(String listener, L7PolicySpec.Builder spec, L7RuleSpec.Builder rule) {
    String id = api.createL7Policy(lb.getId(), listener, spec).getId();
    api.createL7Rule(lb.getId(), id, rule);
  }

  // ------------------------------------------------------------------ clients

  private HttpResponse<String> get(HttpClient client, String path, String... headers) {
    var b = HttpRequest.newBuilder(URI.create("http://" + vip + ":" + httpPort + path)).timeout(Duration.ofSeconds(15));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> get(String path, String... headers) {
    return get(h1, path, headers);
  }

  private static String backendOf(HttpResponse<String> r) {
    return r.statusCode() == 200 ? echoed(r.body(), "backend") : "status " + r.statusCode();
  }

  private Clients.Curl curl(String... args) throws Exception {
    assumeThat(onPath("curl")).as("curl is not installed here: the curl checks cannot run").isTrue();
    return Clients.curl(dir, args);
  }

  private static boolean onPath(String binary) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, binary))) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ routing, redirects, REJECT, default pool

  @Test
  void routesByHostPathHeaderCookieAndFileTypeAndTheDefaultPoolOtherwise() throws Exception {
    // HOST_NAME: the JDK client cannot set Host, curl can (with a port, which the rule ignores).
    Clients.Curl host = curl("-w", "%{http_code}", "-H", "Host: api.example.test:8080",
        "http://" + vip + ":" + httpPort + "/v1/items");
    assertThat(host.written()).isEqualTo("200");
    assertThat(echoed(host.body(), "backend")).isEqualTo("api");
    assertThat(echoed(host.body(), "path")).isEqualTo("/v1/items");
    assertThat(backendOf(get("/img/logo.png?v=2"))).as("FILE_TYPE png").isEqualTo("static");
    assertThat(backendOf(get("/img/logo.gif"))).isEqualTo("def");
    assertThat(backendOf(get("/t/1", "X-Tenant", "blue"))).as("HEADER").isEqualTo("tenant");
    assertThat(backendOf(get("/t/1", "X-Tenant", "red"))).isEqualTo("def");
    assertThat(backendOf(get("/c", "Cookie", "a=1; channel=beta"))).as("COOKIE").isEqualTo("beta");
    assertThat(backendOf(get("/c", "Cookie", "channel=stable"))).isEqualTo("def");
    assertThat(echoed(get("/sticky/x").body(), "path")).as("PATH").isEqualTo("/sticky/x");
    assertThat(backendOf(get("/sticky/x"))).isIn("one", "two", "three");
    assertThat(backendOf(get("/nothing/matches"))).as("no policy matches: the default pool").isEqualTo("def");
  }

  @Test
  void redirectsAnswerWithTheirCodeAndLocation() throws Exception {
    for (int code : List.of(301, 302, 303, 307, 308)) {
      HttpResponse<String> r = get("/r" + code); // the JDK client does not follow redirects unless told to
      assertThat(r.statusCode()).as("REDIRECT_TO_URL with redirect_http_code " + code).isEqualTo(code);
      assertThat(r.headers().firstValue("Location")).hasValue("https://moved.example.test/" + code);
    }
    HttpResponse<String> unset = get("/r-default");
    assertThat(unset.statusCode()).as("redirect_http_code unset: 302, as the API documents").isEqualTo(302);
    assertThat(unset.headers().firstValue("Location")).hasValue("https://moved.example.test/default");
    Clients.Curl prefix = curl("-w", "%{http_code} %{redirect_url}", "-H", "Host: old.example.test",
        "http://" + vip + ":" + httpPort + "/a/b?c=d");
    assertThat(prefix.written()).as("REDIRECT_PREFIX keeps path and query")
        .isEqualTo("308 https://new.example.test/a/b?c=d");
  }

  @Test
  void rejectAnswers403AndNoBackendSeesTheRequest() {
    int before = backends.values().stream().mapToInt(b -> b.requests.get()).sum();
    HttpResponse<String> r = get("/admin/users");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(backends.values().stream().mapToInt(b -> b.requests.get()).sum()).isEqualTo(before);
  }

  // ------------------------------------------------------------------ headers, keep-alive, HTTP/2, bodies, limits

  @Test
  void theBackendSeesXForwardedFor() {
    HttpResponse<String> r = get("/xff");
    assertThat(echoed(r.body(), "h:x-forwarded-for")).isEqualTo("127.0.0.1");
    HttpResponse<String> chained = get("/xff", "X-Forwarded-For", "203.0.113.9");
    assertThat(echoed(chained.body(), "h:x-forwarded-for")).isEqualTo("203.0.113.9, 127.0.0.1");
  }

  @Test
  void keepAliveReusesTheClientConnectionAndOneBackendConnection() throws Exception {
    // Client side: curl fetching five URLs in one run opens one connection and reuses it (num_connects 0 after
    // the first transfer, one local port for all).
    List<String> args = new ArrayList<>();
    for (int i = 1; i < 5; i++) args.addAll(List.of("-o", "/dev/null"));
    args.addAll(List.of("-w", "%{num_connects} %{local_port} %{http_code}\\n"));
    for (int i = 0; i < 5; i++) args.add("http://" + vip + ":" + httpPort + "/keep/" + i);
    Clients.Curl c = curl(args.toArray(String[]::new));
    List<String> lines = c.written().lines().toList();
    assertThat(lines).hasSize(5);
    String port = lines.get(0).split(" ")[1];
    assertThat(lines.get(0)).isEqualTo("1 " + port + " 200");
    for (String line : lines.subList(1, 5)) assertThat(line).isEqualTo("0 " + port + " 200");

    // Backend side: twenty requests on one client connection take at most one new connection to the backend.
    HttpBackend def = backends.get("def");
    int connections = def.connections();
    int requests = def.requests.get();
    HttpClient one = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int i = 0; i < 20; i++) assertThat(backendOf(get(one, "/reuse/" + i))).isEqualTo("def");
    assertThat(def.requests.get() - requests).isEqualTo(20);
    assertThat(def.connections() - connections).isLessThanOrEqualTo(1);
  }

  @Test
  void http2FromClientsH2cWithPriorKnowledgeAndH2OverTlsByAlpn() throws Exception {
    Clients.Curl h2c = curl("--http2-prior-knowledge", "-w", "%{http_version} %{http_code}",
        "http://" + vip + ":" + httpPort + "/h2c?x=y");
    assertThat(h2c.written()).isEqualTo("2 200");
    assertThat(echoed(h2c.body(), "path")).isEqualTo("/h2c?x=y");
    assertThat(echoed(h2c.body(), "backend")).isEqualTo("def");

    // curl by name (SNI a.example.test, verified against the CA) and the JDK client by address (the default
    // certificate names the VIP's address): both negotiate h2 by ALPN.
    Clients.Curl h2 = curl("--http2", "--cacert", caFile.toString(), "--resolve",
        "a.example.test:" + httpsPort + ":" + vip, "-w", "%{http_version} %{http_code}",
        "https://a.example.test:" + httpsPort + "/h2");
    assertThat(h2.written()).isEqualTo("2 200");
    assertThat(echoed(h2.body(), "h:x-forwarded-proto")).isEqualTo("https");
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trusting(ca.cert()))
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = jdk.send(HttpRequest.newBuilder(URI.create("https://" + vip + ":" + httpsPort + "/jdk"))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(echoed(r.body(), "path")).isEqualTo("/jdk");
  }

  @Test
  void oneMebibyteBodiesArriveIntactBothWays() throws Exception {
    byte[] up = new byte[1 << 20];
    new Random(12).nextBytes(up);
    String sent = Hashes.sha256Hex(up);
    HttpResponse<byte[]> echoedBack = h1.send(HttpRequest.newBuilder(URI.create("http://" + vip + ":" + httpPort
        + "/upload")).POST(HttpRequest.BodyPublishers.ofByteArray(up)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(echoedBack.statusCode()).isEqualTo(200);
    assertThat(Hashes.sha256Hex(echoedBack.body())).as("the backend got 1 MiB and echoed it").isEqualTo(sent);
    HttpResponse<byte[]> down = h1.send(HttpRequest.newBuilder(URI.create("http://" + vip + ":" + httpPort
        + "/bytes?n=" + (1 << 20))).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(down.body()).hasSize(1 << 20);
    assertThat(Hashes.sha256Hex(down.body())).isEqualTo(Hashes.sha256Hex(HttpBackend.pattern(1 << 20)));

    // The same over TLS and HTTP/2.
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(trusting(ca.cert())).build();
    HttpResponse<byte[]> tls = jdk.send(HttpRequest.newBuilder(URI.create("https://" + vip + ":" + httpsPort
        + "/upload")).POST(HttpRequest.BodyPublishers.ofByteArray(up)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(tls.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(Hashes.sha256Hex(tls.body())).isEqualTo(sent);
  }

  @Test
  void oversizedHeadersGet431() throws Exception {
    assertThat(get("/big", "X-Big", "x".repeat(20_000)).statusCode()).isEqualTo(431);
    Clients.Curl h2c = curl("--http2-prior-knowledge", "-w", "%{http_code}", "-H", "X-Big: " + "y".repeat(20_000),
        "http://" + vip + ":" + httpPort + "/big");
    assertThat(h2c.written()).isEqualTo("431");
    assertThat(get("/small", "X-Small", "z".repeat(100)).statusCode()).as("the connection's neighbours still served")
        .isEqualTo(200);
  }

  // ------------------------------------------------------------------ cookie persistence

  @Test
  void httpCookiePersistenceSticksAClientToOneBackend() {
    Set<String> without = new HashSet<>();
    for (int i = 0; i < 6; i++) without.add(backendOf(get("/sticky/rr")));
    assertThat(without).as("without the cookie: round robin over the three").hasSize(3);
    // A client that keeps cookies, as a browser does: FiberLB's Set-Cookie pins it.
    HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    HttpResponse<String> first = get(browser, "/sticky/first");
    assertThat(first.headers().firstValue("Set-Cookie")).hasValueSatisfying(v -> assertThat(v).startsWith("FIBERLB_"));
    String pinned = backendOf(first);
    for (int i = 0; i < 9; i++) assertThat(backendOf(get(browser, "/sticky/" + i))).isEqualTo(pinned);
  }

  @Test
  void appCookiePersistenceFollowsTheApplicationsSessionCookie() {
    HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    HttpResponse<String> login = get(browser, "/app/login?session=s-4711"); // the backend sets SESSION=s-4711
    assertThat(login.headers().firstValue("Set-Cookie")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("SESSION=s-4711"));
    String owner = backendOf(login);
    for (int i = 0; i < 9; i++) assertThat(backendOf(get(browser, "/app/cart/" + i))).isEqualTo(owner);
    Set<String> others = new HashSet<>();
    for (int i = 0; i < 6; i++) others.add(backendOf(get("/app/anonymous")));
    assertThat(others).as("without the cookie: round robin").hasSize(3);
  }

  // ------------------------------------------------------------------ TLS: SNI, rotation

  @Test
  void twoSniNamesGetTheirCertificatesFromTheJdkClientAndOpensslSClient() throws Exception {
    // A fresh client context per handshake: the JDK client resumes sessions by host and port, not by SNI name.
    assertThat(handshake(trusting(ca.cert()), vip, httpsPort, "a.example.test")).isEqualTo(certA.cert());
    assertThat(handshake(trusting(ca.cert()), vip, httpsPort, "b.example.test")).isEqualTo(certB.cert());
    assertThat(handshake(trusting(ca.cert()), vip, httpsPort, null)).isEqualTo(fallback.cert());
    assumeThat(onPath("openssl")).as("openssl is not installed here: the s_client checks cannot run").isTrue();
    assertThat(sClient(vip, httpsPort, "a.example.test")).isEqualTo(certA.cert());
    assertThat(sClient(vip, httpsPort, "b.example.test")).isEqualTo(certB.cert());
    assertThat(sClient(vip, httpsPort, "unknown.example.test")).as("a name no certificate has: the default")
        .isEqualTo(fallback.cert());
    assertThat(sClient(vip, httpsPort, null)).isEqualTo(fallback.cert());
  }

  @Test
  void aCertificateRotatedThroughTheApiIsServedByTheNextHandshakeWithoutARestart() throws Exception {
    // Its own SNI certificate so the other tests keep theirs; the listener is updated through the API too.
    Made before = CertKit.leaf(ca, Alg.RSA, "rotate.example.test");
    Made after = CertKit.leaf(ca, Alg.EC, "rotate.example.test");
    String rotId = api.createCertificate("rotating", before).getId();
    api.call(api.listeners().updateListener(), io.fiberlb.api.v1.UpdateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(secure).setListener(ListenerSpec.newBuilder()
            .addAllSniContainerRefs(secureRefs).addSniContainerRefs(rotId).setSniContainerRefsSet(true)).build());
    assertThat(Poll.until("the new SNI certificate served", DEADLINE,
        () -> handshake(trusting(ca.cert()), vip, httpsPort, "rotate.example.test"), before.cert()::equals))
        .isEqualTo(before.cert());

    api.call(api.certificates().updateCertificate(), UpdateCertificateRequest.newBuilder().setId(rotId)
        .setCertificatePem(ByteString.copyFromUtf8(after.certPem()))
        .setPrivateKeyPem(ByteString.copyFromUtf8(after.keyPem())).build());
    // The node that answered the update serves the new certificate to the very next handshake.
    assertThat(handshake(trusting(ca.cert()), vip, httpsPort, "rotate.example.test")).isEqualTo(after.cert());
    if (onPath("openssl")) assertThat(sClient(vip, httpsPort, "rotate.example.test")).isEqualTo(after.cert());
    assertThat(TlsClients.request(trusting(ca.cert()), vip, httpsPort, "rotate.example.test", "/rotated"))
        .startsWith("HTTP/1.1 200").contains("backend=def");
    assertThat(handshake(trusting(ca.cert()), vip, httpsPort, "b.example.test")).as("the others unchanged")
        .isEqualTo(certB.cert());
  }

  @Test
  void certificatesThatCannotServeAreRefusedNamingTheFieldAndJournalNothing() {
    Made expired = CertKit.leaf(ca, Alg.EC, Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(
        Duration.ofDays(1)), "expired.example.test");
    Made early = CertKit.leaf(ca, Alg.EC, Instant.now().plus(Duration.ofDays(1)), Instant.now().plus(
        Duration.ofDays(10)), "early.example.test");
    String garbage = "-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n";
    String garbageKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    Map<String, String[]> cases = new LinkedHashMap<>();
    cases.put("expired", new String[] {expired.certPem(), expired.keyPem(), "certificate_pem:", "expired"});
    cases.put("not yet valid", new String[] {early.certPem(), early.keyPem(), "certificate_pem:", "not valid yet"});
    cases.put("another certificate's key", new String[] {certA.certPem(), certB.keyPem(), "private_key_pem:", ""});
    cases.put("garbage chain", new String[] {garbage, certA.keyPem(), "certificate_pem:", ""});
    cases.put("garbage key", new String[] {certA.certPem(), garbageKey, "private_key_pem:", ""});
    for (var c : cases.entrySet()) {
      long journal = server.journalRows(false);
      io.grpc.Status status = TestServer.statusOf(org.assertj.core.api.Assertions.catchThrowable(() -> api.call(
          api.certificates().createCertificate(), io.fiberlb.api.v1.CreateCertificateRequest.newBuilder()
              .setName("refused").setCertificatePem(ByteString.copyFromUtf8(c.getValue()[0]))
              .setPrivateKeyPem(ByteString.copyFromUtf8(c.getValue()[1])).build())));
      assertThat(status.getCode()).as(c.getKey()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).as(c.getKey()).startsWith(c.getValue()[2]).contains(c.getValue()[3]);
      assertThat(server.journalRows(false)).as(c.getKey() + ": nothing journaled").isEqualTo(journal);
    }
    assertThat(api.call(api.certificates().listCertificates(), io.fiberlb.api.v1.ListCertificatesRequest
        .getDefaultInstance()).getCertificatesList()).extracting(io.fiberlb.api.v1.Certificate::getName)
        .doesNotContain("refused");
  }

  // ------------------------------------------------------------------ PROXY protocol

  @Test
  void proxyV1AndV2PoolsSendAHeaderTheBackendParses() throws Exception {
    for (Protocol protocol : List.of(Protocol.PROXY, Protocol.PROXYV2)) {
      ProxyProtocolBackend backend = new ProxyProtocolBackend(InetAddress.getLoopbackAddress());
      closing.add(backend);
      String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
          .setPool(PoolSpec.newBuilder().setName("proxy-" + protocol).setProtocol(protocol)).build()).getId();
      api.createBackend(lb.getId(), pool, "127.0.0.1", backend.port());
      int port = DataPlaneTest.freePort();
      api.createListener(lb.getId(), port, pool);
      Socket client = Poll.until(protocol + " listener accepting", DEADLINE, () -> {
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(vip, port), 2000);
          return s;
        } catch (IOException e) {
          try {
            s.close();
          } catch (IOException ignored) {
            // never connected
          }
          return null;
        }
      }, s -> s != null);
      try (client) {
        client.setSoTimeout(10_000);
        client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        client.shutdownOutput();
        assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping");
        ProxyProtocolBackend.Seen seen = backend.next();
        assertThat(seen.error()).isNull();
        assertThat(seen.version()).isEqualTo(protocol == Protocol.PROXY ? "V1" : "V2");
        assertThat(seen.command()).isEqualTo("PROXY");
        assertThat(seen.source()).isEqualTo("127.0.0.1");
        assertThat(seen.sourcePort()).isEqualTo(client.getLocalPort());
        assertThat(seen.destinationPort()).isEqualTo(port);
      }
    }
  }


  @Test
  void anHttpListenersProxyPoolsGetAHeaderNamingTheClientThenTheRequest() throws Exception {
    for (Protocol protocol : List.of(Protocol.PROXY, Protocol.PROXYV2)) {
      ProxyProtocolBackend backend = ProxyProtocolBackend.http();
      closing.add(backend);
      String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
          .setPool(PoolSpec.newBuilder().setName("http-" + protocol).setProtocol(protocol)).build()).getId();
      api.createBackend(lb.getId(), pool, "127.0.0.1", backend.port());
      int port = DataPlaneTest.freePort();
      api.createHttpListener(lb.getId(), port, pool);
      HttpResponse<String> r = Poll.until(protocol + " HTTP listener answering", DEADLINE, () -> {
        try {
          return h1.send(HttpRequest.newBuilder(URI.create("http://" + vip + ":" + port + "/p"))
              .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          return null;
        }
      }, x -> x != null);
      assertThat(r.statusCode()).as(protocol + ": answered by the backend after its header").isEqualTo(200);
      assertThat(r.body()).contains("path=/p");
      ProxyProtocolBackend.Seen seen = backend.next();
      assertThat(seen.error()).as("the backend's first bytes are a PROXY header").isNull();
      assertThat(seen.version()).isEqualTo(protocol == Protocol.PROXY ? "V1" : "V2");
      assertThat(seen.source()).isEqualTo("127.0.0.1");
      assertThat(seen.destinationPort()).isEqualTo(port);
    }
  }
}
