package io.fiberlb.it;

import static io.fiberlb.dataplane.http.Clients.echoed;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.dataplane.http.HttpBackend;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Octavia's client certificate headers (insert_headers X-SSL-*) on a TERMINATED_HTTPS listener with OPTIONAL client
 * authentication, made through the API of a real server and read by a real backend: a client with a certificate of
 * the client CA is described as HAProxy (Octavia's amphora) describes it; a client without one gets Verify 0 and
 * Has-Cert 0, and the X-SSL headers it sent itself never reach the backend. X-SSL-* on an HTTP listener is refused
 * naming the field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCertificateHeadersTest {
  private static final String[] X_SSL = {"X-SSL-Client-Verify", "X-SSL-Client-Has-Cert", "X-SSL-Client-DN",
      "X-SSL-Client-CN", "X-SSL-Issuer", "X-SSL-Client-SHA1", "X-SSL-Client-Not-Before", "X-SSL-Client-Not-After"};
  private TestServer server;
  private HttpBackend backend;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(DataPlaneTest.FAST);
    backend = new HttpBackend("mtls");
  }

  @AfterAll
  void stop() {
    backend.close();
    server.close();
  }

  @Test
  void theClientCertificateIsDescribedToTheBackendAndAClientCannotForgeIt() throws Exception {
    var api = server.as("x-ssl");
    Made ca = CertKit.ca("Server CA");
    Made clientCa = CertKit.ca("Client CA");
    String serverCert = api.createCertificate("server", CertKit.leaf(ca, Alg.EC, "www.example.test")).getId();
    String clientCaCert = api.call(api.certificates().createCertificate(), CreateCertificateRequest.newBuilder()
        .setName("client-ca").setType(Certificate.Type.CA_BUNDLE)
        .setCertificatePem(ByteString.copyFromUtf8(clientCa.certPem())).build()).getId();
    LoadBalancer lb = api.createLb("x-ssl");
    String pool = api.call(api.pools().createPool(), io.fiberlb.api.v1.CreatePoolRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setPool(io.fiberlb.api.v1.PoolSpec.newBuilder().setName("web")
            .setProtocol(Protocol.HTTP)).build()).getId();
    api.createBackend(lb.getId(), pool, "127.0.0.1", backend.port());
    Map<String, String> insert = new LinkedHashMap<>();
    for (String h : X_SSL) insert.put(h, "true");
    int port = DataPlaneTest.freePort();
    api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS).setProtocolPort(port)
            .setDefaultPoolId(pool).setDefaultTlsContainerRef(serverCert).setClientCaTlsContainerRef(clientCaCert)
            .setClientAuthentication(Listener.ClientAuthentication.OPTIONAL).putAllInsertHeaders(insert)).build());
    String vip = lb.getVipAddress();

    Made client = CertKit.leaf(clientCa, Alg.EC, "client.example.test");
    SSLContext withCert = CertKit.clientContext(ca.cert(), client);
    String body = Poll.until("the mTLS listener to answer", Duration.ofSeconds(20),
        () -> request(withCert, vip, port), b -> b != null && b.contains("backend=mtls"));
    DateTimeFormatter asn1 = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    assertThat(echoed(body, "h:x-ssl-client-verify")).isEqualTo("0");
    assertThat(echoed(body, "h:x-ssl-client-has-cert")).isEqualTo("1");
    assertThat(echoed(body, "h:x-ssl-client-cn")).isEqualTo("client.example.test");
    assertThat(echoed(body, "h:x-ssl-client-dn")).as("OpenSSL's one-line form").startsWith("/")
        .endsWith("/CN=client.example.test");
    assertThat(echoed(body, "h:x-ssl-issuer")).endsWith("/CN=Client CA");
    assertThat(echoed(body, "h:x-ssl-client-sha1")).isEqualTo(
        HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(client.cert().getEncoded())));
    assertThat(echoed(body, "h:x-ssl-client-not-before")).isEqualTo(asn1.format(client.cert().getNotBefore().toInstant()));
    assertThat(echoed(body, "h:x-ssl-client-not-after")).isEqualTo(asn1.format(client.cert().getNotAfter().toInstant()));
    assertThat(echoed(body, "h:x-ssl-client-cn")).as("the client's own value is not passed on").doesNotContain("forged");

    String anonymous = request(CertKit.clientContext(ca.cert(), null), vip, port);
    assertThat(anonymous).contains("backend=mtls");
    assertThat(echoed(anonymous, "h:x-ssl-client-verify")).isEqualTo("0");
    assertThat(echoed(anonymous, "h:x-ssl-client-has-cert")).isEqualTo("0");
    for (String h : new String[] {"x-ssl-client-dn", "x-ssl-client-cn", "x-ssl-issuer", "x-ssl-client-sha1"}) {
      assertThat(echoed(anonymous, "h:" + h)).as(h + " sent by the client itself is removed").isNull();
    }
  }

  @Test
  void clientCertificateHeadersOnAnHttpListenerAreRefusedNamingTheField() {
    var api = server.as("x-ssl-refused");
    LoadBalancer lb = api.createLb("x-ssl-refused");
    long journal = server.journalRows(false);
    Status status = TestServer.statusOf(org.assertj.core.api.Assertions.catchThrowable(() -> api.call(
        api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
            .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.HTTP).setProtocolPort(8443)
                .putInsertHeaders("X-SSL-Client-CN", "true")).build())));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("listener.insert_headers").contains("X-SSL-Client-CN")
        .contains("TERMINATED_HTTPS");
    assertThat(server.journalRows(false)).as("nothing journaled").isEqualTo(journal);
  }

  /** One request over a new TLS connection, carrying forged X-SSL headers; the backend's echo, or null. */
  private static String request(SSLContext tls, String host, int port) {
    try (SSLSocket s = TlsClients.connect(tls, host, port, "www.example.test")) {
      s.getOutputStream().write(("GET /who HTTP/1.1\r\nHost: www.example.test\r\nX-SSL-Client-CN: forged\r\n"
          + "X-SSL-Client-DN: /CN=forged\r\nX-SSL-Issuer: forged\r\nX-SSL-Client-SHA1: forged\r\n"
          + "X-SSL-Client-Has-Cert: 1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    }
  }
}
