package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.security.TlsFiles;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.it.TestPki.Issued;
import io.fiberlb.it.TestServer.Api;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the gRPC API with real certificates, a real server and real gRPC clients: who trusts the CA gets in, who
 * does not fails the handshake; mutual TLS with and without a client certificate; and a certificate replaced on
 * disk served to new connections without a restart.
 */
class TlsTest {
  @TempDir
  Path dir;
  private TestServer server;
  private final ActorSystem<Void> clients = TestServer.newClientSystem();

  @AfterEach
  void stop() {
    if (server != null) server.close();
    clients.terminate();
    clients.getWhenTerminated().toCompletableFuture().join();
  }

  /** @param ca null: a plaintext client */
  private Api client(Path ca, Issued clientCert) {
    var settings = GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clients).withTls(ca != null)
        .withDeadline(Duration.ofSeconds(10));
    if (ca != null) {
      settings = settings.withSslContext(TlsFiles.clientContext(ca, clientCert == null ? null : clientCert.certFile(),
          clientCert == null ? null : clientCert.keyFile()));
    }
    return Api.over(clients, settings, "acme", "web");
  }

  private static Status.Code list(Api api) {
    try {
      api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (RuntimeException e) {
      return TestServer.statusOf(e).getCode();
    }
  }

  @Test
  void aClientTrustingTheCaGetsInAndOthersFailTheHandshake() throws Exception {
    Issued ca = TestPki.ca(dir, "ca");
    Issued other = TestPki.ca(dir, "other-ca");
    Issued cert = TestPki.server(dir, "server", ca);
    server = new TestServer(Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString()));

    assertThat(list(client(ca.certFile(), null))).isEqualTo(Status.Code.OK);
    assertThat(list(client(other.certFile(), null))).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(list(client(null, null))).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void aCertificateReplacedOnDiskIsServedWithoutARestart() throws Exception {
    Issued ca = TestPki.ca(dir, "ca");
    Issued renewedCa = TestPki.ca(dir, "renewed-ca");
    Issued cert = TestPki.server(dir, "server", ca);
    server = new TestServer(Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString(), "fiberlb.auth.reload-interval", "100ms"));
    assertThat(list(client(ca.certFile(), null))).isEqualTo(Status.Code.OK);
    assertThat(list(client(renewedCa.certFile(), null))).isEqualTo(Status.Code.UNAVAILABLE);

    // The new certificate comes from another CA, so that who can connect tells which one the server sends.
    TestPki.replace(TestPki.server(dir, "renewed", renewedCa), cert);
    Poll.until("the renewed certificate served", Duration.ofSeconds(20),
        () -> list(client(renewedCa.certFile(), null)), c -> c == Status.Code.OK);
    assertThat(list(client(ca.certFile(), null))).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void mutualTlsNeedsAClientCertificateAndMapsItToAnIdentity() throws Exception {
    Issued ca = TestPki.ca(dir, "ca");
    Issued clientCa = TestPki.ca(dir, "client-ca");
    Issued cert = TestPki.server(dir, "server", ca);
    Issued deploy = TestPki.leaf(dir, "deploy", clientCa, "CN=deploy,O=Acme", List.of());
    Issued bySan = TestPki.leaf(dir, "ops", clientCa, "CN=whoever",
        List.of(new GeneralName(GeneralName.dNSName, "ops.acme.example")));
    Issued unmapped = TestPki.leaf(dir, "unmapped", clientCa, "CN=stranger", List.of());
    Issued foreign = TestPki.leaf(dir, "foreign", TestPki.ca(dir, "foreign-ca"), "CN=deploy,O=Acme", List.of());
    String deploySubject = deploy.cert().getSubjectX500Principal().getName();
    var mappings = ConfigFactory.parseString("""
        list = [
          { subject = "%s", org = acme, project = web, roles = [member] }
          { san = "ops.acme.example", org = acme, project = web, roles = [observer] }
        ]""".formatted(deploySubject.toUpperCase())).getList("list").unwrapped();
    server = new TestServer(Map.of("fiberlb.grpc.tls.cert", cert.certFile().toString(),
        "fiberlb.grpc.tls.key", cert.keyFile().toString(), "fiberlb.grpc.tls.client-ca", clientCa.certFile().toString(),
        "fiberlb.auth.client-certificates", mappings));

    Api member = client(ca.certFile(), deploy);
    assertThat(list(member)).isEqualTo(Status.Code.OK);
    String lb = member.createLb("by-cert").getId();
    var events = member.call(member.audit().listEvents(),
        io.fiberlb.api.v1.ListEventsRequest.newBuilder().setLoadBalancerId(lb).build());
    assertThat(events.getEvents(0).getActor()).isEqualTo("cert:" + deploySubject);

    Api observer = client(ca.certFile(), bySan);
    assertThat(list(observer)).isEqualTo(Status.Code.OK);
    try {
      observer.createLb("refused");
      throw new AssertionError("an observer created a load balancer");
    } catch (RuntimeException e) {
      assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    assertThat(list(client(ca.certFile(), unmapped))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(list(client(ca.certFile(), null))).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(list(client(ca.certFile(), foreign))).isEqualTo(Status.Code.UNAVAILABLE);
  }
}
