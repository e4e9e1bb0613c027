package io.fiberlb.it;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificates made in memory for certificate and TLS tests (BouncyCastle): ECDSA P-256 or RSA-2048 keys, a CA and
 * leaves it signs, any validity, and PEM in the forms clients upload (PKCS#8, traditional PKCS#1/SEC1).
 */
public final class CertKit {
  private static final AtomicLong serial = new AtomicLong(System.nanoTime());

  private CertKit() {}

  public enum Alg { EC, RSA }

  /** A certificate with its key. */
  public record Made(X509Certificate cert, PrivateKey key) {
    public String certPem() {
      return pem(new PemObject("CERTIFICATE", encoded(cert)));
    }

    /** PKCS#8 ("BEGIN PRIVATE KEY"). */
    public String keyPem() {
      return pem(new PemObject("PRIVATE KEY", key.getEncoded()));
    }

    /** Traditional: "BEGIN RSA PRIVATE KEY" or "BEGIN EC PRIVATE KEY". */
    public String traditionalKeyPem() {
      try {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
          w.writeObject(key);
        }
        return out.toString();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  public static KeyPair keys(Alg alg) {
    try {
      if (alg == Alg.EC) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static Made ca(String cn) {
    KeyPair kp = keys(Alg.EC);
    X500Name name = new X500Name("CN=" + cn);
    return new Made(build(name, kp, name, kp.getPrivate(), true, List.of(), Instant.now().minusSeconds(3600),
        Instant.now().plus(Duration.ofDays(30))), kp.getPrivate());
  }

  /** A leaf valid from an hour ago for 30 days, for these DNS names or IPv4 literals (the first also its CN). */
  public static Made leaf(Made ca, Alg alg, String... dnsNames) {
    return leaf(ca, alg, Instant.now().minusSeconds(3600), Instant.now().plus(Duration.ofDays(30)), dnsNames);
  }

  public static Made leaf(Made ca, Alg alg, Instant notBefore, Instant notAfter, String... dnsNames) {
    KeyPair kp = keys(alg);
    X500Name issuer = X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
    List<GeneralName> sans = java.util.Arrays.stream(dnsNames).map(n -> new GeneralName(
        n.matches("\\d+\\.\\d+\\.\\d+\\.\\d+") ? GeneralName.iPAddress : GeneralName.dNSName, n)).toList();
    return new Made(build(new X500Name("CN=" + dnsNames[0]), kp, issuer, ca.key(), false, sans, notBefore, notAfter),
        kp.getPrivate());
  }

  private static X509Certificate build(X500Name subject, KeyPair kp, X500Name issuer, PrivateKey signer, boolean ca,
      List<GeneralName> sans, Instant notBefore, Instant notAfter) {
    try {
      var b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serial.incrementAndGet()),
          Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      if (!sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(PemObject o) {
    try {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        w.writeObject(o);
      }
      return out.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A client TLS context trusting {@code ca}, presenting {@code clientCert} (client authentication) when not null. */
  public static javax.net.ssl.SSLContext clientContext(X509Certificate ca, Made clientCert) {
    try {
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      javax.net.ssl.KeyManager[] keys = null;
      if (clientCert != null) {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", clientCert.key(), new char[0], new X509Certificate[] {clientCert.cert()});
        var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        keys = kmf.getKeyManagers();
      }
      var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(keys, tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
