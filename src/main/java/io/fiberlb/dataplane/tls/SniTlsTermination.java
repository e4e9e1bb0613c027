package io.fiberlb.dataplane.tls;

import io.fiberlb.dataplane.engine.netty.TlsTermination;
import io.fiberlb.port.CertificateSource;
import io.fiberlb.port.CertificateSource.CertificateMaterial;
import io.fiberlb.port.DesiredTls;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.security.auth.x500.X500Principal;

/**
 * A TERMINATED_HTTPS listener's TLS: the default certificate, and SNI certificates chosen by the client's server
 * name (Netty's {@link SniHandler} over a {@link DomainWildcardMappingBuilder}: an exact name before a wildcard, the
 * default for no name or an unknown one; a name two SNI certificates cover goes to the first listed). One
 * {@link SslContext} per certificate, built with the listener's versions, ciphers, ALPN protocols and client
 * authentication, and swapped whole when {@link #refresh} finds a fingerprint changed: the next handshake serves
 * the rotated certificate, open connections keep theirs. {@link #addHandlers} only reads the current contexts, so it
 * never blocks the event loop; {@link #refresh} reads the {@link CertificateSource} and must run off it.
 */
public final class SniTlsTermination implements TlsTermination {
  private static final List<String> BOTH_VERSIONS = List.of("TLSv1.3", "TLSv1.2");

  private final DesiredTls tls;
  private final CertificateSource source;
  private final SslProvider provider;
  private final HandshakeFailures failures;
  private volatile Contexts current;

  /** What one build made: a context per certificate id, and the fingerprints it was made from. */
  private record Contexts(Mapping<String, SslContext> byName, Map<String, String> fingerprints) {}

  /** Builds the contexts now; fails, naming the certificate and the reason, when they cannot be built. */
  public SniTlsTermination(DesiredTls tls, CertificateSource source, SslProvider provider) {
    this(tls, source, provider, new HandshakeFailures());
  }

  /** As above, counting failed handshakes in {@code failures} (the listener's, kept across its TLS changes). */
  public SniTlsTermination(DesiredTls tls, CertificateSource source, SslProvider provider, HandshakeFailures failures) {
    this.tls = tls;
    this.source = source;
    this.provider = provider;
    this.failures = failures;
    this.current = build(read());
  }

  public DesiredTls desired() {
    return tls;
  }

  /** Every certificate id this listener reads: default, SNI, client CA. */
  public Set<String> certificateIds() {
    var ids = new LinkedHashSet<String>();
    ids.add(tls.defaultCertificateId());
    ids.addAll(tls.sniCertificateIds());
    if (!tls.clientCaCertificateId().isEmpty()) ids.add(tls.clientCaCertificateId());
    return ids;
  }

  /** The fingerprints being served now, by certificate id. */
  public Map<String, String> fingerprints() {
    return current.fingerprints();
  }

  /**
   * Re-reads the certificates and rebuilds when a fingerprint changed; answers whether it did. A certificate that
   * is gone or does not build keeps being served as it was (the failure is thrown for the caller to report).
   * Synchronized: a periodic refresh and a change notice may run at once, and an older read must not be built after
   * a newer one.
   */
  public synchronized boolean refresh() {
    Map<String, CertificateMaterial> now = read();
    Map<String, String> fps = new HashMap<>();
    now.forEach((id, m) -> fps.put(id, m.fingerprint()));
    if (fps.equals(current.fingerprints())) return false;
    current = build(now);
    return true;
  }

  /**
   * The SNI handler, followed by the listener's {@link HandshakeFailures} counter. An SNI handler even without SNI
   * certificates (its mapping then gives the default to every name): it becomes the SSL handler only once the client
   * has sent its hello, so a connection closed before sending a byte (a port probe, a TCP health check) is no failed
   * handshake.
   */
  @Override
  public void addHandlers(ChannelPipeline pipeline) {
    pipeline.addLast(new SniHandler(current.byName()), failures.handler());
  }

  /** This listener's failed handshakes by reason. */
  public HandshakeFailures failures() {
    return failures;
  }

  private Map<String, CertificateMaterial> read() {
    var out = new LinkedHashMap<String, CertificateMaterial>();
    for (String id : certificateIds()) {
      CertificateMaterial m = source.material(id).orElseThrow(() -> new IllegalArgumentException(
          "certificate " + id + " not found (deleted?): the listener's TLS cannot be built"));
      out.put(id, m);
    }
    return out;
  }

  private Contexts build(Map<String, CertificateMaterial> materials) {
    CertificateMaterial ca = tls.clientCaCertificateId().isEmpty() ? null : materials.get(tls.clientCaCertificateId());
    SslContext dflt = context(tls.defaultCertificateId(), materials.get(tls.defaultCertificateId()), ca);
    var mapping = new DomainWildcardMappingBuilder<SslContext>(dflt);
    Set<String> taken = new java.util.HashSet<>();
    for (String id : tls.sniCertificateIds()) {
      CertificateMaterial m = materials.get(id);
      SslContext ctx = id.equals(tls.defaultCertificateId()) ? dflt : context(id, m, ca);
      for (String name : names(m.chainPem())) {
        if (taken.add(name)) mapping.add(name, ctx); // the first SNI certificate listed keeps a shared name
      }
    }
    Map<String, String> fps = new HashMap<>();
    materials.forEach((id, m) -> fps.put(id, m.fingerprint()));
    return new Contexts(mapping.build(), Map.copyOf(fps));
  }

  /**
   * tls_ciphers are OpenSSL names (Octavia's); the JDK provider knows Java names only and silently drops any other,
   * which would leave no cipher at all: there each is converted (TLS 1.3 names are the same in both).
   */
  static List<String> ciphers(List<String> openSslNames, SslProvider provider) {
    if (provider != SslProvider.JDK) return openSslNames;
    List<String> out = new ArrayList<>();
    for (String name : openSslNames) {
      String java = name.startsWith("TLS_") || name.startsWith("SSL_") ? name : CipherSuiteConverter.toJava(name, "TLS");
      out.add(java == null ? name : java);
    }
    return out;
  }

  private SslContext context(String id, CertificateMaterial m, CertificateMaterial ca) {
    if (m.privateKeyPem().isEmpty()) {
      throw new IllegalArgumentException("certificate " + id + " is a CA bundle (no key); a listener serves SERVER"
          + " certificates");
    }
    try {
      SslContextBuilder b = SslContextBuilder.forServer(stream(m.chainPem()), stream(m.privateKeyPem()))
          .sslProvider(provider)
          .protocols(tls.tlsVersions().isEmpty() ? BOTH_VERSIONS : tls.tlsVersions());
      if (!tls.tlsCiphers().isEmpty()) b.ciphers(ciphers(tls.tlsCiphers(), provider));
      List<String> alpn = tls.alpnProtocols().isEmpty() ? List.of("http/1.1") : tls.alpnProtocols();
      b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
      switch (tls.clientAuthentication()) {
        case NONE -> b.clientAuth(ClientAuth.NONE);
        case OPTIONAL, MANDATORY -> {
          if (ca == null) {
            throw new IllegalArgumentException("client authentication " + tls.clientAuthentication()
                + " needs a client CA certificate (client_ca_tls_container_ref)");
          }
          b.trustManager(stream(ca.chainPem()));
          b.clientAuth(tls.clientAuthentication() == DesiredTls.ClientAuthentication.MANDATORY
              ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        }
      }
      return b.build();
    } catch (SSLException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith("client authentication")) {
        throw iae;
      }
      throw new IllegalArgumentException("certificate " + id + ": the listener's TLS cannot be built with it ("
          + e.getMessage() + ")", e);
    }
  }

  /** The names a certificate answers to: its DNS SANs, else its subject CN; lower case. */
  static List<String> names(String chainPem) {
    try {
      var leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(stream(chainPem));
      var out = new ArrayList<String>();
      var sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if ((Integer) san.get(0) == 2) out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
        }
      }
      if (out.isEmpty()) {
        for (String rdn : leaf.getSubjectX500Principal().getName(X500Principal.RFC2253).split("(?<!\\\\),")) {
          if (rdn.regionMatches(true, 0, "CN=", 0, 3)) out.add(rdn.substring(3).toLowerCase(Locale.ROOT));
        }
      }
      return out;
    } catch (Exception e) {
      throw new IllegalArgumentException("a certificate's chain does not parse: " + e.getMessage(), e);
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8));
  }
}
