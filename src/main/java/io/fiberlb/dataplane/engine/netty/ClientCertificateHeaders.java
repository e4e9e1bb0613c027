package io.fiberlb.dataplane.engine.netty;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Octavia's client certificate headers of a TERMINATED_HTTPS listener ({@code insert_headers} X-SSL-*), read once per
 * client connection from its TLS session, with the values HAProxy (Octavia's amphora) gives them: {@code
 * X-SSL-Client-Verify} 0 (a certificate that did not verify never completes the handshake here; 0 too without one),
 * {@code X-SSL-Client-Has-Cert} 1 or 0, {@code X-SSL-Client-DN} and {@code X-SSL-Issuer} in OpenSSL's one-line form
 * ({@code /C=../O=../CN=..}), {@code X-SSL-Client-CN}, {@code X-SSL-Client-SHA1} (upper-case hex of the DER), {@code
 * X-SSL-Client-Not-Before}/{@code -Not-After} as {@code YYMMDDhhmmssZ}. Without a client certificate only Verify and
 * Has-Cert are set: the others are removed from the request, so a client cannot send its own.
 */
record ClientCertificateHeaders(boolean hasCert, String dn, String cn, String issuer, String sha1, String notBefore,
    String notAfter) {
  private static final ClientCertificateHeaders NONE =
      new ClientCertificateHeaders(false, null, null, null, null, null, null);
  private static final DateTimeFormatter ASN1_TIME =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** The client certificate of {@code client}'s TLS session (an HTTP/2 stream's: its connection's); NONE without. */
  static ClientCertificateHeaders of(Channel client) {
    Channel conn = client.parent() != null && client.pipeline().get(SslHandler.class) == null ? client.parent() : client;
    SslHandler ssl = conn.pipeline().get(SslHandler.class);
    if (ssl == null) return NONE;
    SSLSession session = ssl.engine().getSession();
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return NONE;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) return NONE;
    String sha1;
    try {
      sha1 = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(leaf.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      sha1 = null;
    }
    return new ClientCertificateHeaders(true, oneLine(leaf.getSubjectX500Principal()),
        commonName(leaf.getSubjectX500Principal()), oneLine(leaf.getIssuerX500Principal()), sha1,
        ASN1_TIME.format(leaf.getNotBefore().toInstant()), ASN1_TIME.format(leaf.getNotAfter().toInstant()));
  }

  /** The value of X-SSL header {@code lowerName}, or null when the request must not carry it. */
  String value(String lowerName) {
    return switch (lowerName) {
      case "x-ssl-client-verify" -> "0";
      case "x-ssl-client-has-cert" -> hasCert ? "1" : "0";
      case "x-ssl-client-dn" -> dn;
      case "x-ssl-client-cn" -> cn;
      case "x-ssl-issuer" -> issuer;
      case "x-ssl-client-sha1" -> sha1;
      case "x-ssl-client-not-before" -> notBefore;
      case "x-ssl-client-not-after" -> notAfter;
      default -> null;
    };
  }

  /** RFC 2253's RDNs (most specific first), reversed into OpenSSL's one-line form. */
  static String oneLine(X500Principal p) {
    List<String> rdns = rdns(p);
    Collections.reverse(rdns);
    StringBuilder sb = new StringBuilder();
    for (String rdn : rdns) sb.append('/').append(rdn);
    return sb.toString();
  }

  private static String commonName(X500Principal p) {
    for (String rdn : rdns(p)) {
      if (rdn.regionMatches(true, 0, "CN=", 0, 3)) return rdn.substring(3);
    }
    return null;
  }

  private static List<String> rdns(X500Principal p) {
    List<String> out = new ArrayList<>();
    for (String rdn : p.getName(X500Principal.RFC2253).split("(?<!\\\\),")) out.add(rdn);
    return out;
  }
}
