package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.controlplane.certificate.CertificateFacts;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.HealthCheck;
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
    return out;
  }

  @Test
  void everyStoredShapeStillReadsAsTheSameValue() throws Exception {
    String newFile = System.getProperty("fiberlb.writeFixtures", "");
    if (!newFile.isEmpty()) write(newFile);
    var expected = samples();
    var seen = new ArrayList<String>();
    for (String line : fixtureLines()) {
      String[] f = line.split("\t");
      Object read = serialization.deserialize(Base64.getDecoder().decode(f[3]), Integer.parseInt(f[1]), f[2]).get();
      assertThat(read).as(f[0]).isEqualTo(expected.get(f[0]));
      seen.add(f[0]);
    }
    // Every shape this build writes has a stored ancestor (write a new fixture file when adding a shape).
    assertThat(seen).containsAll(expected.keySet());
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
