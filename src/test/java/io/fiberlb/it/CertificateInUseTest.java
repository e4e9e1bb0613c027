package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeleteCertificateRequest;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.GetCertificateRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.UpdateListenerRequest;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate a listener names (default, SNI or client CA) cannot be deleted, through a real gRPC client against a
 * real server on a real H2 file: the refusal is FAILED_PRECONDITION naming the load balancer, the listener and the
 * field, a validate_only delete is refused the same way, and nothing is journaled; once the listener drops the
 * reference (an update) or is deleted, the delete goes through.
 */
class CertificateInUseTest {
  @TempDir Path dir;

  private static String create(TestServer.Api api, String name, Made made, Certificate.Type type) {
    var req = CreateCertificateRequest.newBuilder().setName(name).setType(type)
        .setCertificatePem(ByteString.copyFromUtf8(made.certPem()));
    if (type != Certificate.Type.CA_BUNDLE) req.setPrivateKeyPem(ByteString.copyFromUtf8(made.keyPem()));
    return api.call(api.certificates().createCertificate(), req.build()).getId();
  }

  private static void delete(TestServer.Api api, String id, boolean validateOnly) {
    api.call(api.certificates().deleteCertificate(), DeleteCertificateRequest.newBuilder().setId(id)
        .setValidateOnly(validateOnly).build());
  }

  /** The delete (and its dry run) is refused naming every part of {@code uses}, and nothing is journaled. */
  private static void refused(TestServer server, TestServer.Api api, String id, String... uses) {
    for (boolean validateOnly : new boolean[] {true, false}) {
      long before = server.journalRows(false);
      assertThatThrownBy(() -> delete(api, id, validateOnly)).satisfies(t -> {
        Status s = TestServer.statusOf(t);
        assertThat(s.getCode()).as(s.toString()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).startsWith("certificate " + id + " is used by ").contains(uses);
      });
      assertThat(server.journalRows(false)).isEqualTo(before);
    }
    // Still there, usable.
    assertThat(api.call(api.certificates().getCertificate(), GetCertificateRequest.newBuilder().setId(id).build())
        .getId()).isEqualTo(id);
  }

  @Test
  void aCertificateInUseIsNotDeletedUntilNoListenerNamesIt() throws Exception {
    Made ca = CertKit.ca("InUse CA");
    try (var server = new TestServer(dir, Map.of())) {
      var api = server.as("in-use");
      String main = create(api, "main", CertKit.leaf(ca, Alg.EC, "www.example.test"), Certificate.Type.SERVER);
      String sni = create(api, "sni", CertKit.leaf(ca, Alg.EC, "api.example.test"), Certificate.Type.SERVER);
      String clientCa = create(api, "client-ca", ca, Certificate.Type.CA_BUNDLE);
      String unused = create(api, "unused", CertKit.leaf(ca, Alg.EC, "other.example.test"), Certificate.Type.SERVER);

      String lb = api.createLb("in-use").getId();
      String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
          .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
      Listener https = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
          .setLoadBalancerId(lb).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS)
              .setProtocolPort(443).setDefaultPoolId(pool).setDefaultTlsContainerRef(main).addSniContainerRefs(sni)
              .setClientCaTlsContainerRef(clientCa)
              .setClientAuthentication(Listener.ClientAuthentication.OPTIONAL)).build());
      // A second load balancer of the project names the main certificate too: both are named.
      String lb2 = api.createLb("in-use-2").getId();
      String pool2 = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb2)
          .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
      Listener second = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
          .setLoadBalancerId(lb2).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS)
              .setProtocolPort(8443).setDefaultPoolId(pool2).setDefaultTlsContainerRef(main)).build());

      refused(server, api, main, "load balancer " + lb + " listener " + https.getId() + " as default_tls_container_ref",
          "load balancer " + lb2 + " listener " + second.getId() + " as default_tls_container_ref");
      refused(server, api, sni, "load balancer " + lb + " listener " + https.getId() + " as sni_container_refs");
      refused(server, api, clientCa, "load balancer " + lb + " listener " + https.getId()
          + " as client_ca_tls_container_ref");

      // An unused certificate goes (a dry run first: it journals nothing and leaves it there).
      long before = server.journalRows(false);
      delete(api, unused, true);
      assertThat(server.journalRows(false)).isEqualTo(before);
      delete(api, unused, false);
      assertThatThrownBy(() -> api.call(api.certificates().getCertificate(), GetCertificateRequest.newBuilder()
          .setId(unused).build())).satisfies(t -> assertThat(TestServer.statusOf(t).getCode())
              .isEqualTo(Status.Code.NOT_FOUND));

      // The listener drops its SNI reference: that certificate can go; the others still cannot.
      api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb)
          .setId(https.getId()).setListener(ListenerSpec.newBuilder().setSniContainerRefsSet(true)).build());
      delete(api, sni, false);
      refused(server, api, main, "listener " + https.getId(), "listener " + second.getId());

      // Deleting the listeners frees the main and client CA certificates.
      api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb)
          .setId(https.getId()).build());
      delete(api, clientCa, false);
      refused(server, api, main, "listener " + second.getId());
      api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb2)
          .setId(second.getId()).build());
      delete(api, main, true);
      delete(api, main, false);
      assertThatThrownBy(() -> api.call(api.certificates().getCertificate(), GetCertificateRequest.newBuilder()
          .setId(main).build())).satisfies(t -> assertThat(TestServer.statusOf(t).getCode())
              .isEqualTo(Status.Code.NOT_FOUND));
    }
  }
}
