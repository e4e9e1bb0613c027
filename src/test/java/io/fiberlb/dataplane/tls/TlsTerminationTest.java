package io.fiberlb.dataplane.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import io.fiberlb.controlplane.certificate.CertificateKeyStore;
import io.fiberlb.controlplane.certificate.KeyEncryption;
import io.fiberlb.controlplane.certificate.PemCertificates;
import io.fiberlb.it.CertKit;
import io.fiberlb.it.CertKit.Alg;
import io.fiberlb.it.CertKit.Made;
import io.fiberlb.it.TestServer;
import io.fiberlb.it.TlsClients;
import io.fiberlb.persistence.Schema;
import io.fiberlb.port.DesiredTls;
import io.fiberlb.port.DesiredTls.ClientAuthentication;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link SniTlsTermination} in front of a small Netty server on a loopback port, its certificates read from a real
 * key store (an H2 file, keys sealed under a generated KEK), checked with real clients (the JDK's SSLSocket and
 * {@code openssl s_client}) under both providers: SNI names served the right certificates (exact before wildcard,
 * the default without SNI), TLS versions allowed and refused, ALPN, client certificates required, and a rotation
 * served by the next handshake.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsTerminationTest {
  @TempDir static Path dir;
  private CertificateKeyStore store;
  private EventLoopGroup group;
  private Made ca;
  private Made a;
  private Made b;
  private Made wildcard;
  private Made dflt;
  private Made clientCa;
  private Made client;

  @BeforeAll
  void setUp() {
    Config config = TestServer.config(dir, Map.of());
    Schema.ensure(config);
    store = new CertificateKeyStore(config.getString("fiberlb.database.url"), config.getString("fiberlb.database.user"),
        config.getString("fiberlb.database.password"), KeyEncryption.from(config));
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    ca = CertKit.ca("Server CA");
    a = CertKit.leaf(ca, Alg.EC, "a.example.com");
    b = CertKit.leaf(ca, Alg.RSA, "b.example.com");
    wildcard = CertKit.leaf(ca, Alg.EC, "*.example.com");
    dflt = CertKit.leaf(ca, Alg.EC, "default.example.net");
    clientCa = CertKit.ca("Client CA");
    client = CertKit.leaf(clientCa, Alg.EC, "client.example.com");
    put("a", a);
    put("b", b);
    put("wild", wildcard);
    put("default", dflt);
    var bundle = PemCertificates.caBundle(clientCa.certPem(), "", java.time.Instant.now());
    store.put(new CertificateKeyStore.Row("clients", "o", "p", "clients", bundle.facts().fingerprint(),
        bundle.facts().notAfter(), bundle.chainPem(), ""));
  }

  @AfterAll
  void tearDown() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    store.close();
  }

  private void put(String id, Made m) {
    var p = PemCertificates.server(m.certPem() + ca.certPem(), m.keyPem(), java.time.Instant.now());
    store.put(new CertificateKeyStore.Row(id, "o", "p", id, p.facts().fingerprint(), p.facts().notAfter(),
        p.chainPem(), p.privateKeyPem()));
  }

  private static DesiredTls tls(List<String> versions, List<String> alpn, String clientCa, ClientAuthentication auth) {
    return new DesiredTls("default", List.of("a", "b", "wild"), versions, List.of(), alpn, clientCa, auth);
  }

  /** A server that answers each handshaken connection with "hello <alpn>\n". */
  private Channel serve(SniTlsTermination termination) {
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            termination.addHandlers(ch.pipeline());
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof SslHandshakeCompletionEvent e) {
                  if (!e.isSuccess()) {
                    ctx.close();
                    return;
                  }
                  String alpn = ctx.pipeline().get(SslHandler.class).applicationProtocol();
                  ctx.writeAndFlush(Unpooled.copiedBuffer("hello " + alpn + "\n", StandardCharsets.US_ASCII));
                }
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // refused handshakes: the client's side is what the tests check
              }
            });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  private static int port(Channel ch) {
    return ((InetSocketAddress) ch.localAddress()).getPort();
  }

  /** What the JDK client saw: the server's leaf and the server's line. */
  record Seen(X509Certificate leaf, String line, String protocol) {}

  private static Seen connect(int port, String sni, List<String> versions, List<String> alpn, Made clientCert)
      throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    KeyManagerFactory kmf = null;
    if (clientCert != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("c", clientCert.key(), new char[0], new java.security.cert.Certificate[] {clientCert.cert()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[] {new TrustAll()}, new SecureRandom());
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      var params = s.getSSLParameters();
      if (sni != null) params.setServerNames(List.of(new SNIHostName(sni)));
      params.setProtocols(versions.toArray(String[]::new));
      if (!alpn.isEmpty()) params.setApplicationProtocols(alpn.toArray(String[]::new));
      s.setSSLParameters(params);
      s.startHandshake();
      var leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return new Seen(leaf, line, s.getSession().getProtocol());
    }
  }

  private static String cn(Seen s) {
    return s.leaf().getSubjectX500Principal().getName();
  }

  private static final List<String> BOTH = List.of("TLSv1.3", "TLSv1.2");

  @Test
  void openSslLoadsHere() {
    assertThat(OpenSsl.isAvailable()).as("netty-tcnative-boringssl-static linux-x86_64").isTrue();
    assertThat(TlsProviders.choose("auto")).isEqualTo(SslProvider.OPENSSL);
    assertThat(TlsProviders.choose("jdk")).isEqualTo(SslProvider.JDK);
    assertThatThrownBy(() -> TlsProviders.choose("boring")).hasMessageContaining("tls-provider");
  }

  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void sniNamesGetTheirCertificatesAndNoNameTheDefault(SslProvider provider) throws Exception {
    var t = new SniTlsTermination(tls(List.of(), List.of("h2", "http/1.1"), "", ClientAuthentication.NONE), store,
        provider);
    Channel server = serve(t);
    try {
      int port = port(server);
      assertThat(cn(connect(port, "a.example.com", BOTH, List.of(), null))).isEqualTo("CN=a.example.com");
      assertThat(cn(connect(port, "b.example.com", BOTH, List.of(), null))).isEqualTo("CN=b.example.com");
      assertThat(connect(port, "b.example.com", BOTH, List.of(), null).leaf().getPublicKey().getAlgorithm())
          .isEqualTo("RSA");
      // Exact names before the wildcard; a name nothing covers, and no name at all, get the default.
      assertThat(cn(connect(port, "c.example.com", BOTH, List.of(), null))).isEqualTo("CN=*.example.com");
      assertThat(cn(connect(port, "elsewhere.org", BOTH, List.of(), null))).isEqualTo("CN=default.example.net");
      assertThat(cn(connect(port, null, BOTH, List.of(), null))).isEqualTo("CN=default.example.net");
      // ALPN: h2 when the client offers it, http/1.1 otherwise.
      assertThat(connect(port, "a.example.com", BOTH, List.of("h2", "http/1.1"), null).line()).isEqualTo("hello h2");
      assertThat(connect(port, "a.example.com", BOTH, List.of("http/1.1"), null).line()).isEqualTo("hello http/1.1");
      // openssl s_client sees the same.
      assertThat(sClient(port, "a.example.com")).contains("s:CN=a.example.com");
      assertThat(sClient(port, "b.example.com")).contains("s:CN=b.example.com");
      assertThat(sClient(port, null)).contains("s:CN=default.example.net");
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void tlsVersionsAllowedAndRefused(SslProvider provider) throws Exception {
    Channel only13 = serve(new SniTlsTermination(tls(List.of("TLSv1.3"), List.of(), "", ClientAuthentication.NONE),
        store, provider));
    Channel only12 = serve(new SniTlsTermination(tls(List.of("TLSv1.2"), List.of(), "", ClientAuthentication.NONE),
        store, provider));
    try {
      assertThat(connect(port(only13), "a.example.com", List.of("TLSv1.3"), List.of(), null).protocol())
          .isEqualTo("TLSv1.3");
      assertThatThrownBy(() -> connect(port(only13), "a.example.com", List.of("TLSv1.2"), List.of(), null))
          .isInstanceOf(javax.net.ssl.SSLException.class);
      assertThat(connect(port(only12), "a.example.com", List.of("TLSv1.2"), List.of(), null).protocol())
          .isEqualTo("TLSv1.2");
      assertThatThrownBy(() -> connect(port(only12), "a.example.com", List.of("TLSv1.3"), List.of(), null))
          .isInstanceOf(javax.net.ssl.SSLException.class);
    } finally {
      only13.close().syncUninterruptibly();
      only12.close().syncUninterruptibly();
    }
  }

  /**
   * A session made under one SNI name is never resumed under another: {@code openssl s_client} saves the session of
   * a handshake for a ({@code -sess_out}) and offers it ({@code -sess_in}) again for a (resumed: the listener does
   * resume) and for b, which must get a new session and b's certificate. Each SNI certificate has its own context
   * (own session cache and ticket keys), so nothing made under a's can be taken under b's. (The JDK client, by
   * contrast, sends the cached session's own server name when it resumes by host and port: the listener then sees
   * a, rightly serves a's session, and that client accepts it; a client-side behaviour no server can tell apart.)
   */
  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void aSessionIsNeverResumedUnderAnotherSniName(SslProvider provider) throws Exception {
    Channel server = serve(new SniTlsTermination(tls(List.of("TLSv1.2"), List.of(), "", ClientAuthentication.NONE),
        store, provider));
    try {
      int port = port(server);
      Path session = dir.resolve("session-" + provider + ".pem");
      String first = sClientSession(port, "a.example.com", "-sess_out", session);
      assertThat(first).contains("s:CN=a.example.com").contains("New, ");
      String again = sClientSession(port, "a.example.com", "-sess_in", session);
      assertThat(again).as(provider + ": the same name resumes").contains("Reused, ");
      String other = sClientSession(port, "b.example.com", "-sess_in", session);
      assertThat(other).as(provider + ": another name gets a new session and its own certificate")
          .contains("New, ").doesNotContain("Reused, ").contains("CN=b.example.com");
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  private static String sClientSession(int port, String sni, String sessionFlag, Path session) throws Exception {
    return TlsClients.sClientOutput(List.of("-connect", "127.0.0.1:" + port, "-servername", sni, "-tls1_2",
        sessionFlag, session.toString())).replace("CN = ", "CN=");
  }

  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void tlsCiphersLimitWhatIsNegotiated(SslProvider provider) throws Exception {
    String only = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
    Channel server = serve(new SniTlsTermination(new DesiredTls("a", List.of(), List.of("TLSv1.2"), List.of(only),
        List.of(), "", ClientAuthentication.NONE), store, provider));
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port(server))) {
        s.setEnabledProtocols(new String[] {"TLSv1.2"});
        s.startHandshake();
        assertThat(s.getSession().getCipherSuite()).isEqualTo(only);
      }
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void mandatoryClientCertificates(SslProvider provider) throws Exception {
    Channel server = serve(new SniTlsTermination(tls(List.of(), List.of(), "clients", ClientAuthentication.MANDATORY),
        store, provider));
    try {
      int port = port(server);
      assertThat(connect(port, "a.example.com", BOTH, List.of(), client).line()).isEqualTo("hello null"); // no ALPN
      // Without a certificate: TLS 1.2 fails the handshake; TLS 1.3 clients finish theirs first, then are refused.
      // (An alert, or the connection closed under the client's write: either way no answer.)
      assertThatThrownBy(() -> connect(port, "a.example.com", List.of("TLSv1.2"), List.of(), null))
          .isInstanceOf(java.io.IOException.class);
      assertThatThrownBy(() -> {
        Seen s = connect(port, "a.example.com", List.of("TLSv1.3"), List.of(), null);
        if (s.line() == null) throw new javax.net.ssl.SSLException("closed without an answer");
      }).isInstanceOf(java.io.IOException.class);
      // A certificate from another CA is refused too.
      Made stranger = CertKit.leaf(CertKit.ca("Other CA"), Alg.EC, "client.example.com");
      assertThatThrownBy(() -> {
        Seen s = connect(port, "a.example.com", List.of("TLSv1.2"), List.of(), stranger);
        if (s.line() == null) throw new javax.net.ssl.SSLException("closed without an answer");
      }).isInstanceOf(java.io.IOException.class);
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  @ParameterizedTest
  @EnumSource(value = SslProvider.class, names = {"JDK", "OPENSSL"})
  void rotationIsServedByTheNextHandshake(SslProvider provider) throws Exception {
    Made rotA = CertKit.leaf(ca, Alg.EC, "rot.example.com");
    Made rotB = CertKit.leaf(ca, Alg.RSA, "rot.example.com");
    put("rot", rotA);
    try (var terminations = new TlsTerminations(store, provider, Duration.ofHours(1))) {
      store.onChange(terminations::certificateChanged);
      var t = terminations.open(new DesiredTls("rot", List.of(), List.of(), List.of(), List.of(), "",
          ClientAuthentication.NONE));
      Channel server = serve(t);
      try {
        int port = port(server);
        assertThat(connect(port, null, BOTH, List.of(), null).leaf()).isEqualTo(rotA.cert());
        put("rot", rotB); // the store tells this node's terminations before put returns
        assertThat(connect(port, null, BOTH, List.of(), null).leaf()).isEqualTo(rotB.cert());
        assertThat(sClient(port, null)).contains("Server public key is 2048 bit");
      } finally {
        server.close().syncUninterruptibly();
        terminations.release(t);
      }
    }
  }

  @Test
  void aMissingCertificateIsNamed() {
    assertThatThrownBy(() -> new SniTlsTermination(new DesiredTls("nope", List.of(), List.of(), List.of(), List.of(),
        "", ClientAuthentication.NONE), store, SslProvider.JDK)).hasMessageContaining("certificate nope not found");
    assertThatThrownBy(() -> new SniTlsTermination(new DesiredTls("clients", List.of(), List.of(), List.of(),
        List.of(), "", ClientAuthentication.NONE), store, SslProvider.JDK)).hasMessageContaining("is a CA bundle");
  }

  /** {@code openssl s_client}'s output for one connection (its own process, stopped by its PID). */
  private static String sClient(int port, String sni) throws Exception {
    List<String> args = sni == null ? List.of("-connect", "127.0.0.1:" + port, "-noservername")
        : List.of("-connect", "127.0.0.1:" + port, "-servername", sni);
    return TlsClients.sClientOutput(args).replace("CN = ", "CN=");
  }

  /** The tests check which certificate is served, not whether the client trusts it. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
