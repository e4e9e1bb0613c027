package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.controlplane.certificate.CertificateFacts;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.L7Policy;
import io.fiberlb.controlplane.model.L7Rule;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Events are a long-lived contract with the journal. {@code src/test/resources/events/v*.txt} hold every event
 * (and snapshot) shape as it was first written, in the bytes Jackson CBOR wrote; this build must still read each of
 * them into the same value. Fixture files are never edited: a new shape goes into a new file with
 * {@code mvn test -Dtest=EventCompatibilityTest -Dfiberlb.writeFixtures=v3}, which writes the samples no older file
 * has. A sample that an older file holds must keep the value that file was written from (new fields take the
 * value an old record reads as).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class EventCompatibilityTest {
  private static final Path FIXTURES = Path.of("src/test/resources/events");
  private ActorSystem system;
  private Serialization serialization;

  @BeforeAll
  void start() {
    system = ActorSystem.create("events", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
    serialization = SerializationExtension.get(system);
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    scala.concurrent.Await.result(system.whenTerminated(), scala.concurrent.duration.Duration.create(30, "s"));
  }

  /** One of each shape, with every field set to something other than its default. */
  public static Map<String, Object> samples() {
    Instant t = Instant.parse("2026-11-21T10:00:00.123456Z");
    var meta = new EventMeta(t, "local:alice", "127.0.0.1:40000", "req-1", "CreateLoadBalancer", "");
    var info = new LoadBalancerInfo("lb-1", "org", "proj", "web", "front", "127.0.10.1", "127.0.10.0/24", true,
        List.of("prod"), t, t);
    var listener = new Listener("l-1", "http", "d", Enums.Protocol.TCP, 80, "p-1", 1000, 50_000, 5_000, 60_000,
        List.of("10.0.0.0/8"), true, List.of("a"), 5, 4, t, t);
    var pool = new Pool("p-1", "pool", "d", Enums.Protocol.TCP, Enums.LbAlgorithm.MAGLEV,
        Enums.SessionPersistenceType.SOURCE_IP, 60_000, "h-1", false, List.of(), 3, 3, t, t);
    var backend = new Backend("b-1", "p-1", "be", "10.0.0.5", 8080, 10, true, true, 9090, List.of("x"), 4, 4, t, t);
    var hc = new HealthCheck("h-1", "hc", Enums.HealthCheckType.HTTP, 2000, 1000, 2, 3, "HEAD", "/health", "200-299",
        true, List.of(), 2, 2, t, t);
    var out = new LinkedHashMap<String, Object>();
    out.put("CreationStarted", new LoadBalancerEvent.CreationStarted(info, "127.0.10.1", meta));
    out.put("Created", new LoadBalancerEvent.Created("127.0.10.1", "127.0.10.0/24", meta));
    out.put("CreationFailed", new LoadBalancerEvent.CreationFailed(Rejection.exists("taken"), meta));
    out.put("Updated", new LoadBalancerEvent.Updated("web2", "d2", false, List.of("t"), meta));
    out.put("Deleted", new LoadBalancerEvent.Deleted(true, List.of("l-1", "p-1"), meta));
    out.put("CleanedUp", new LoadBalancerEvent.CleanedUp(meta));
    out.put("ChildCreated.listener", new LoadBalancerEvent.ChildCreated(listener, "req-9", meta));
    out.put("ChildCreated.pool", new LoadBalancerEvent.ChildCreated(pool, "", meta));
    out.put("ChildCreated.backend", new LoadBalancerEvent.ChildCreated(backend, "", meta));
    out.put("ChildUpdated.health_check", new LoadBalancerEvent.ChildUpdated(hc, meta));
    out.put("ChildDeleted", new LoadBalancerEvent.ChildDeleted(Enums.Kind.POOL, "p-1", List.of("b-1"), meta));
    out.put("State.active", new LoadBalancerState.Active(info, 9, new LinkedHashMap<>(Map.of("l-1", listener)),
        new LinkedHashMap<>(Map.of("req-9", "l-1")), Map.of()));
    out.put("State.activeWithHealth", new LoadBalancerState.Active(info, 9, new LinkedHashMap<>(Map.of("b-1", backend)),
        Map.of(), new LinkedHashMap<>(Map.of("b-1", new LoadBalancerState.Health(false, "refused", meta.at())))));
    out.put("BackendHealthChanged", new LoadBalancerEvent.BackendHealthChanged("b-1", false, "bad status 503",
        new EventMeta(t, "system", "", "", "HealthCheck", "backend b-1 down: bad status 503")));
    out.put("State.notCreated", new LoadBalancerState.NotCreated(2));
    out.put("Project.Registered", new ProjectEntity.Registered("lb-1", "web", 7));
    out.put("Project.UsageRecorded", new ProjectEntity.UsageRecorded("lb-1", new Usage(1, 2, 3, 4)));
    out.put("Project.Unregistered", new ProjectEntity.Unregistered("lb-1"));
    out.put("VipPool.Allocated", new VipPoolEntity.Allocated("lb-1", "127.0.10.1"));
    // v2: the reason of system events, and the request id kept by the create and delete stages.
    var system = new EventMeta(t, "system", "", "req-1", "CreateLoadBalancer", "VIP 127.0.10.1 allocated");
    out.put("Created.system", new LoadBalancerEvent.Created("127.0.10.1", "127.0.10.0/24", system));
    out.put("State.creating", new LoadBalancerState.Creating(info, "127.0.10.9", 1, "req-1"));
    out.put("State.deleted", new LoadBalancerState.Deleted(info, 12, true, "req-2"));
    out.put("Project.Renamed", new ProjectEntity.Renamed("lb-1", "web2"));
    out.put("VipPool.Released", new VipPoolEntity.Released("lb-1", "127.0.10.1"));
    // v4: a digest of the create request's body, kept with the idempotency record.
    out.put("CreationStarted.hashed", new LoadBalancerEvent.CreationStarted(info, "127.0.10.1", meta, "0a1b2c"));
    out.put("ChildCreated.hashed", new LoadBalancerEvent.ChildCreated(listener, "req-9", meta, "3d4e5f"));
    out.put("State.creatingHashed", new LoadBalancerState.Creating(info, "127.0.10.9", 1, "req-1", "0a1b2c"));
    out.put("State.activeHashed", new LoadBalancerState.Active(info, 9, new LinkedHashMap<>(Map.of("l-1", listener)),
        new LinkedHashMap<>(Map.of("req-9", "l-1")), Map.of(), new LinkedHashMap<>(Map.of("req-9", "3d4e5f",
            "req-1", "0a1b2c"))));
    // v5: rollback and restore, one event; ProjectEntity's rollback step writes only shapes it had.
    var rollback = new EventMeta(t, "local:alice", "127.0.0.1:40000", "req-3", "RollbackLoadBalancer", "");
    out.put("RolledBack", new LoadBalancerEvent.RolledBack(12, 5, "web", "front", true, List.of("prod"),
        List.of(listener, backend), List.of("p-2", "b-7"), "", "", rollback));
    out.put("RolledBack.restore", new LoadBalancerEvent.RolledBack(14, 11, "web", "", false, List.of(),
        List.of(pool, hc), List.of(), "127.0.10.7", "127.0.10.0/24", rollback));
    // v5-quota: quotas set per project, journaled in the project entity, and the project's state that holds them.
    var quotaSet = new QuotaOverrides(10, null, -1, null, 0);
    out.put("Project.QuotaSet", new ProjectEntity.QuotaSet(quotaSet, meta));
    out.put("Project.QuotaReset", new ProjectEntity.QuotaReset(meta));
    out.put("Project.StateWithQuota", new ProjectEntity.State(Map.of("lb-1",
        new ProjectEntity.Entry("web", 1, new Usage(1, 2, 3, 4))), Map.of("web", "lb-1"), 1, new Usage(1, 2, 3, 4),
        ProjectQuota.NONE.set(quotaSet, meta)));
    // v6-certificates: a project's certificates (public facts only; keys live in table certificate_keys).
    var facts = new CertificateFacts(CertificateFacts.Type.SERVER, "ab".repeat(32), "CN=www.example.com",
        List.of("www.example.com", "example.com"), t, t.plusSeconds(86_400), "EC-P256", 2);
    out.put("Certificate.Created", new CertificateEntity.CertificateCreated("c-1", "web", "front", facts, meta));
    out.put("Certificate.Updated", new CertificateEntity.CertificateUpdated("c-1", "web2", "", new CertificateFacts(
        CertificateFacts.Type.CA_BUNDLE, "cd".repeat(32), "CN=CA", List.of(), t, t, "RSA-2048", 1), meta));
    out.put("Certificate.Deleted", new CertificateEntity.CertificateDeleted("c-1", "web", "ab".repeat(32), meta));
    out.put("Certificate.State", new CertificateEntity.State(new LinkedHashMap<>(Map.of("c-1",
        new CertificateEntity.Certificate("c-1", "web", "front", facts, t, t, 3))), Map.of("web", "c-1")));
    l7Samples(out, t, meta);
    // v6-l7-quota: the L7 policy, L7 rule and certificate limits, and the L7 counts of a load balancer's usage.
    var l7Quota = new QuotaOverrides(null, 5, null, null, null, 20, -1, 0);
    out.put("Project.QuotaSetL7", new ProjectEntity.QuotaSet(l7Quota, meta));
    out.put("Project.UsageRecordedL7", new ProjectEntity.UsageRecorded("lb-2", new Usage(1, 1, 0, 1, 2, 3)));
    out.put("Project.StateWithL7Quota", new ProjectEntity.State(Map.of("lb-2",
        new ProjectEntity.Entry("l7", 2, new Usage(1, 1, 0, 1, 2, 3))), Map.of("l7", "lb-2"), 2,
        new Usage(1, 1, 0, 1, 2, 3), ProjectQuota.NONE.set(quotaSet, meta).set(l7Quota, meta)));
    return out;
  }

  /**
   * v6-l7: the shapes issue 12 added to load balancers: L7 policies (every action) and rules (every type and
   * comparison) created, updated and deleted; listener, pool and health check fields of L7, TLS and PROXY; and a
   * state holding them. {@code L7.Active} and the {@code L7.*} events also replay in order in
   * {@link #l7PolicyEventsReplayIntoTheSamePositions}, so that Octavia's renumbering still gives the same positions.
   */
  private static void l7Samples(Map<String, Object> out, Instant t, EventMeta meta) {
    var https = new Listener("l-2", "https", "tls", Enums.Protocol.TERMINATED_HTTPS, 443, "p-2", 2000, 40_000, 3_000,
        30_000, List.of("192.0.2.0/24"), true, List.of("web"), 6, 5, t, t,
        new LinkedHashMap<>(Map.of("X-Forwarded-For", "true", "X-Forwarded-Port", "false")), "c-1",
        List.of("c-2", "c-3"), List.of("TLSv1.2", "TLSv1.3"), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        List.of("h2", "http/1.1"), "c-ca", Enums.ClientAuthentication.MANDATORY, true);
    var http = new Listener("l-3", "http", "", Enums.Protocol.HTTP, 80, "p-2", -1, 50_000, 5_000, 50_000, List.of(),
        true, List.of(), 7, 7, t, t, Map.of("X-Request-Id", "true"), "", List.of(), List.of(), "", List.of("http/1.1"),
        "", Enums.ClientAuthentication.OPTIONAL, false);
    var cookiePool = new Pool("p-2", "app", "", Enums.Protocol.HTTP, Enums.LbAlgorithm.ROUND_ROBIN,
        Enums.SessionPersistenceType.APP_COOKIE, 120_000, "h-2", true, List.of(), 4, 4, t, t, "JSESSIONID");
    var proxyPool = new Pool("p-3", "proxy", "", Enums.Protocol.PROXY, Enums.LbAlgorithm.LEAST_CONNECTIONS,
        Enums.SessionPersistenceType.HTTP_COOKIE, 60_000, "", true, List.of(), 8, 8, t, t);
    var proxyV2Pool = new Pool("p-4", "proxy2", "", Enums.Protocol.PROXYV2, Enums.LbAlgorithm.SOURCE_IP,
        Enums.SessionPersistenceType.NONE, 60_000, "", false, List.of("v2"), 9, 9, t, t);
    var httpsCheck = new HealthCheck("h-2", "tls", Enums.HealthCheckType.HTTPS, 3000, 1500, 3, 2, "GET", "/ready",
        "200,204", true, List.of(), 3, 3, t, t, "api.example.com", "1.1");
    var helloCheck = new HealthCheck("h-3", "hello", Enums.HealthCheckType.TLS_HELLO, 5000, 2000, 2, 3, "GET", "/",
        "200", true, List.of(), 10, 10, t, t);
    out.put("L7.listener.https", new LoadBalancerEvent.ChildCreated(https, "req-l7", meta, "9f8e"));
    out.put("L7.listener.http", new LoadBalancerEvent.ChildUpdated(http, meta));
    out.put("L7.pool.appCookie", new LoadBalancerEvent.ChildCreated(cookiePool, "", meta));
    out.put("L7.pool.proxy", new LoadBalancerEvent.ChildCreated(proxyPool, "", meta));
    out.put("L7.pool.proxyV2", new LoadBalancerEvent.ChildUpdated(proxyV2Pool, meta));
    out.put("L7.healthCheck.https", new LoadBalancerEvent.ChildCreated(httpsCheck, "", meta));
    out.put("L7.healthCheck.tlsHello", new LoadBalancerEvent.ChildUpdated(helloCheck, meta));
    // A listener with two policies and a rule; then a policy created at position 1, one moved last, one deleted.
    var reject = new L7Policy("pol-1", "l-3", "deny", "d", Enums.L7Action.REJECT, 1, "", "", "", 302, true,
        List.of("a"), 11, 11, t, t);
    var toPool = new L7Policy("pol-2", "l-3", "api", "", Enums.L7Action.REDIRECT_TO_POOL, 2, "", "", "p-2", 302, true,
        List.of(), 12, 12, t, t);
    var rule = new L7Rule("r-1", "pol-1", Enums.L7RuleType.HEADER, Enums.L7CompareType.REGEX, "User-Agent", "^curl/.*",
        true, true, List.of("r"), 13, 13, t, t);
    var kids = new LinkedHashMap<String, Child>();
    kids.put("l-3", http);
    kids.put("p-2", cookiePool);
    kids.put("h-2", httpsCheck);
    kids.put("pol-1", reject);
    kids.put("pol-2", toPool);
    kids.put("r-1", rule);
    var lb = new LoadBalancerInfo("lb-2", "org", "proj", "l7", "", "127.0.10.2", "127.0.10.0/24", true, List.of(), t, t);
    out.put("L7.Active", new LoadBalancerState.Active(lb, 13, kids, new LinkedHashMap<>(Map.of("req-p", "pol-2")),
        Map.of(), new LinkedHashMap<>(Map.of("req-p", "77aa"))));
    out.put("L7.policy.created", new LoadBalancerEvent.ChildCreated(new L7Policy("pol-3", "l-3", "moved", "",
        Enums.L7Action.REDIRECT_TO_URL, 1, "https://example.com/moved?x=1", "", "", 301, true, List.of(), 14, 14, t,
        t), "req-3", meta, "88bb"));
    out.put("L7.policy.updated", new LoadBalancerEvent.ChildUpdated(new L7Policy("pol-1", "l-3", "deny", "d",
        Enums.L7Action.REDIRECT_PREFIX, 9, "", "https://www.example.com:8443", "", 308, false, List.of("a"), 15, 11,
        t, t.plusSeconds(60)), meta));
    out.put("L7.rule.created", new LoadBalancerEvent.ChildCreated(new L7Rule("r-2", "pol-2", Enums.L7RuleType.HOST_NAME,
        Enums.L7CompareType.EQUAL_TO, "", "api.example.com", false, true, List.of(), 16, 16, t, t), "", meta));
    out.put("L7.rule.updated", new LoadBalancerEvent.ChildUpdated(new L7Rule("r-2", "pol-2", Enums.L7RuleType.PATH,
        Enums.L7CompareType.STARTS_WITH, "", "/api/", false, true, List.of(), 17, 16, t, t.plusSeconds(60)), meta));
    out.put("L7.policy.deleted", new LoadBalancerEvent.ChildDeleted(Enums.Kind.L7_POLICY, "pol-3", List.of(), meta));
    out.put("L7.rule.deleted", new LoadBalancerEvent.ChildDeleted(Enums.Kind.L7_RULE, "r-2", List.of(), meta));
    out.put("L7.policy.deletedWithRules", new LoadBalancerEvent.ChildDeleted(Enums.Kind.L7_POLICY, "pol-1",
        List.of("r-1"), meta));
    // The rule types and comparisons no event above holds.
    out.put("L7.rule.fileType", new LoadBalancerEvent.ChildCreated(new L7Rule("r-3", "pol-2",
        Enums.L7RuleType.FILE_TYPE, Enums.L7CompareType.ENDS_WITH, "", "jpg", false, true, List.of(), 18, 18, t, t),
        "", meta));
    out.put("L7.rule.cookie", new LoadBalancerEvent.ChildCreated(new L7Rule("r-4", "pol-2", Enums.L7RuleType.COOKIE,
        Enums.L7CompareType.CONTAINS, "session", "beta", true, false, List.of(), 19, 19, t, t), "", meta));
  }

  @Test
  void everyStoredShapeStillReadsAsTheSameValue() throws Exception {
    String newFile = System.getProperty("fiberlb.writeFixtures", "");
    if (!newFile.isEmpty()) write(newFile);
    var expected = samples();
    var seen = new ArrayList<String>();
    for (var e : stored().entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isEqualTo(expected.get(e.getKey()));
      seen.add(e.getKey());
    }
    // Every shape this build writes has a stored ancestor (write a new fixture file when adding a shape).
    assertThat(seen).containsAll(expected.keySet());
  }

  /**
   * The stored L7 events, replayed in order on the stored L7 state, give the positions Octavia's renumbering gave
   * when they were written: a policy created at 1 goes first, one moved to 9 goes last, deletes close the gaps, and a
   * policy's rules go with it.
   */
  @Test
  void l7PolicyEventsReplayIntoTheSamePositions() throws Exception {
    var stored = stored();
    var expected = samples();
    var state = (LoadBalancerState.Active) stored.get("L7.Active");
    assertThat(positions(state)).containsExactly(Map.entry("pol-1", 1), Map.entry("pol-2", 2));

    state = replay(state, stored, "L7.policy.created");
    assertThat(state.version()).isEqualTo(14);
    assertThat(positions(state)).containsExactly(Map.entry("pol-1", 2), Map.entry("pol-2", 3), Map.entry("pol-3", 1));
    assertThat(state.requestIds()).containsEntry("req-3", "pol-3");
    assertThat(state.requestHashes()).containsEntry("req-3", "88bb");

    state = replay(state, stored, "L7.policy.updated");
    assertThat(positions(state)).containsExactly(Map.entry("pol-1", 3), Map.entry("pol-2", 2), Map.entry("pol-3", 1));
    var updated = (L7Policy) state.children().get("pol-1");
    var written = (L7Policy) ((LoadBalancerEvent.ChildUpdated) expected.get("L7.policy.updated")).child();
    assertThat(updated.action()).isEqualTo(Enums.L7Action.REDIRECT_PREFIX);
    assertThat(updated.redirectPrefix()).isEqualTo("https://www.example.com:8443");
    assertThat(updated.redirectHttpCode()).isEqualTo(308);
    assertThat(updated.adminStateUp()).isFalse();
    assertThat(updated.createdVersion()).isEqualTo(11);
    assertThat(updated).usingRecursiveComparison().ignoringFields("position").isEqualTo(written);

    state = replay(state, stored, "L7.rule.created");
    state = replay(state, stored, "L7.rule.updated");
    var rule = (L7Rule) state.children().get("r-2");
    assertThat(rule.type()).isEqualTo(Enums.L7RuleType.PATH);
    assertThat(rule.compareType()).isEqualTo(Enums.L7CompareType.STARTS_WITH);
    assertThat(rule.value()).isEqualTo("/api/");
    assertThat(rule.policyId()).isEqualTo("pol-2");
    assertThat(rule.createdVersion()).isEqualTo(16);
    state = replay(state, stored, "L7.rule.deleted");
    assertThat(state.children()).doesNotContainKey("r-2");

    state = replay(state, stored, "L7.policy.deleted");
    assertThat(positions(state)).containsExactly(Map.entry("pol-1", 2), Map.entry("pol-2", 1));
    assertThat(state.requestIds()).doesNotContainKey("req-3");
    assertThat(state.requestHashes()).doesNotContainKey("req-3");

    state = replay(state, stored, "L7.policy.deletedWithRules");
    assertThat(state.version()).isEqualTo(20);
    assertThat(state.children().keySet()).containsExactly("l-3", "p-2", "h-2", "pol-2");
    var original = (LoadBalancerState.Active) expected.get("L7.Active");
    assertThat(positions(state)).containsExactly(Map.entry("pol-2", 1));
    assertThat(state.children().get("pol-2")).usingRecursiveComparison().ignoringFields("position")
        .isEqualTo(original.children().get("pol-2"));
    assertThat(state.children().get("l-3")).isEqualTo(original.children().get("l-3"));
  }

  private static LoadBalancerState.Active replay(LoadBalancerState.Active state, Map<String, Object> stored,
      String event) {
    assertThat(stored).as("stored fixture " + event).containsKey(event);
    return (LoadBalancerState.Active) state.apply((LoadBalancerEvent) stored.get(event));
  }

  private static Map<String, Integer> positions(LoadBalancerState.Active state) {
    var out = new java.util.TreeMap<String, Integer>();
    for (Child c : state.all(Enums.Kind.L7_POLICY)) out.put(c.id(), ((L7Policy) c).position());
    return out;
  }

  /** Every stored sample, read with this build. */
  private Map<String, Object> stored() throws Exception {
    var out = new LinkedHashMap<String, Object>();
    for (String line : fixtureLines()) {
      String[] f = line.split("\t");
      out.put(f[0], serialization.deserialize(Base64.getDecoder().decode(f[3]), Integer.parseInt(f[1]), f[2]).get());
    }
    return out;
  }

  public static List<String> fixtureLines() throws Exception {
    var out = new ArrayList<String>();
    try (var files = Files.list(FIXTURES)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".txt")).sorted().toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank() && !line.startsWith("#")) out.add(line);
        }
      }
    }
    return out;
  }

  private void write(String name) throws Exception {
    var stored = new java.util.HashSet<String>();
    for (String line : fixtureLines()) stored.add(line.split("\t")[0]);
    var sb = new StringBuilder("# name\tserializer id\tmanifest\tbytes (base64); written by EventCompatibilityTest\n");
    for (var e : samples().entrySet()) {
      if (stored.contains(e.getKey())) continue;
      var ser = serialization.findSerializerFor(e.getValue());
      sb.append(e.getKey()).append('\t').append(ser.identifier()).append('\t')
          .append(Serializers.manifestFor(ser, e.getValue())).append('\t')
          .append(Base64.getEncoder().encodeToString(ser.toBinary(e.getValue()))).append('\n');
    }
    Files.writeString(FIXTURES.resolve(name + ".txt"), sb.toString());
  }
}
