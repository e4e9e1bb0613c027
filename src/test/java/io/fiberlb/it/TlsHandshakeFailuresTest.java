package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * fiberlb_tls_handshake_failures_total{listener,reason} counts real clients' failed handshakes by their reason,
 * scraped from a real server's /metrics: a TLS 1.3-only client and a client with no shared cipher suite against a
 * TLS 1.2 listener with one cipher; a plain-text client on the TLS port; a client without a certificate, and one
 * with a certificate of another CA, against a listener whose client authentication is MANDATORY. A successful
 * handshake and a bare TCP connect count nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsHandshakeFailuresTest {
  private static final String METRIC = "fiberlb_tls_handshake_failures_total";
  private TestServer server;

  /** The listeners' TLS provider: auto (OpenSSL when it loads, as shipped); {@link Jdk} runs the same with jdk. */
  String provider() {
    return "auto";
  }

  @BeforeAll
  void start() throws Exception {
    Map<String, Object> settings = new HashMap<>(DataPlaneTest.FAST);
    settings.put("fiberlb.dataplane.tls-provider", provider());
    server = new TestServer(settings);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static String certificate(TestServer.Api api, String name, Made made, Certificate.Type type) {
    var req = CreateCertificateRequest.newBuilder().setName(name).setType(type)
        .setCertificatePem(ByteString.copyFromUtf8(made.certPem()));
    if (type == Certificate.Type.SERVER) req.setPrivateKeyPem(ByteString.copyFromUtf8(made.keyPem()));
    return api.call(api.certificates().createCertificate(), req.build()).getId();
  }

  @Test
  void eachFailedHandshakeIsCountedByItsReason() throws Exception {
    var api = server.as("tls-failures");
    Made ca = CertKit.ca("Failures CA");
    Made clientCa = CertKit.ca("Client CA");
    // Another CA under the listener's client CA's name (another key): the JDK client offers its certificate (the
    // issuer name matches the CertificateRequest), which then fails the signature check.
    Made otherCa = CertKit.ca("Client CA");
    String serverCert = certificate(api, "server", CertKit.leaf(ca, Alg.EC, "www.example.test"), Certificate.Type.SERVER);
    String clientCaCert = certificate(api, "client-ca", clientCa, Certificate.Type.CA_BUNDLE);
    LoadBalancer lb = api.createLb("tls-failures");
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.HTTP)).build()).getId();
    int narrowPort = DataPlaneTest.freePort();
    String narrow = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS)
            .setProtocolPort(narrowPort).setDefaultPoolId(pool).setDefaultTlsContainerRef(serverCert)
            .addTlsVersions("TLSv1.2").setTlsCiphers("ECDHE-ECDSA-AES128-GCM-SHA256")).build()).getId();
    int mtlsPort = DataPlaneTest.freePort();
    String mtls = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS)
            .setProtocolPort(mtlsPort).setDefaultPoolId(pool).setDefaultTlsContainerRef(serverCert)
            .setClientCaTlsContainerRef(clientCaCert)
            .setClientAuthentication(Listener.ClientAuthentication.MANDATORY)).build()).getId();
    String vip = lb.getVipAddress();
    SSLContext noCert = context(ca.cert(), null);

    // Serving: a good handshake on the first, a bare connect (no TLS byte) on the second; neither is a failure.
    Poll.until("the TLS 1.2 listener to complete a handshake", Duration.ofSeconds(20),
        () -> attempt(noCert, vip, narrowPort, new String[] {"TLSv1.2"},
            new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}), ok -> ok);
    Poll.until("the mTLS listener to accept", Duration.ofSeconds(20), () -> connects(vip, mtlsPort), ok -> ok);
    Poll.until("both listeners' series, all zero", Duration.ofSeconds(10), () -> scrape().find(METRIC,
        Map.of("load_balancer", lb.getId())), l -> l.size() == 18 && l.stream().allMatch(x -> x.value() == 0));

    assertThat(attempt(noCert, vip, narrowPort, new String[] {"TLSv1.3"}, null)).isFalse();
    assertThat(attempt(noCert, vip, narrowPort, new String[] {"TLSv1.2"},
        new String[] {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"})).isFalse();
    plainText(vip, narrowPort);
    assertThat(attempt(noCert, vip, mtlsPort, new String[] {"TLSv1.2"}, null)).isFalse();
    Made stranger = CertKit.leaf(otherCa, Alg.EC, "client.example.test");
    assertThat(attempt(context(ca.cert(), stranger), vip, mtlsPort, new String[] {"TLSv1.2"}, null)).isFalse();
    // A client certificate of the listener's client CA passes (and counts nothing).
    Made member = CertKit.leaf(clientCa, Alg.EC, "client.example.test");
    assertThat(attempt(context(ca.cert(), member), vip, mtlsPort, new String[] {"TLSv1.2"}, null)).isTrue();

    Map<String, Double> expected = new HashMap<>();
    for (String reason : new String[] {"protocol_version", "no_shared_cipher", "no_client_certificate",
        "bad_certificate", "client_rejected_certificate", "not_tls", "timeout", "closed_early", "other"}) {
      expected.put(narrow + " " + reason, 0.0);
      expected.put(mtls + " " + reason, 0.0);
    }
    expected.put(narrow + " protocol_version", 1.0);
    expected.put(narrow + " no_shared_cipher", 1.0);
    expected.put(narrow + " not_tls", 1.0);
    expected.put(mtls + " no_client_certificate", 1.0);
    expected.put(mtls + " bad_certificate", 1.0);
    Map<String, Double> seen = Poll.until("each failure counted by its reason", Duration.ofSeconds(10), () -> {
      Scrape s = scrape();
      Map<String, Double> got = new HashMap<>();
      for (var sample : s.find(METRIC, Map.of("load_balancer", lb.getId()))) {
        got.put(sample.labels().get("listener") + " " + sample.labels().get("reason"), sample.value());
      }
      return got;
    }, expected::equals);
    assertThat(seen).isEqualTo(expected);
    assertThat(scrape().find(METRIC, Map.of("listener", narrow)).get(0).labels())
        .containsEntry("load_balancer", lb.getId()).containsKeys("org", "project", "reason");
  }

  private Scrape scrape() {
    return Scrape.of(server.node().metricsPort());
  }

  private static SSLContext context(X509Certificate ca, Made clientCert) {
    return CertKit.clientContext(ca, clientCert);
  }

  /**
   * One connection: handshake with these versions (and ciphers, when not null), then a request, whose answer (any
   * status: the pool is empty) proves the server accepted the handshake (under TLS 1.3 the client finishes before
   * the server has checked its certificate). True when an answer came.
   */
  private static boolean attempt(SSLContext ctx, String host, int port, String[] protocols, String[] ciphers) {
    try (var s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(5000);
      s.setEnabledProtocols(protocols);
      if (ciphers != null) s.setEnabledCipherSuites(ciphers);
      s.startHandshake();
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      return s.getInputStream().read() >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean connects(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A plain-text HTTP request to the TLS port; reads until the listener closes it. */
  private static void plainText(String host, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      try {
        s.getInputStream().readAllBytes();
      } catch (IOException closed) {
        // reset by the listener: the same for this test
      }
    }
  }

  /** The same clients against the JDK provider (its failure messages differ from BoringSSL's). */
  static class Jdk extends TlsHandshakeFailuresTest {
    @Override
    String provider() {
      return "jdk";
    }
  }
}
