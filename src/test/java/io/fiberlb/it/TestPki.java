package io.fiberlb.it;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

/** Certificates for tests, made with BouncyCastle: a CA, and server and client certificates it signs, as PEM files. */
public final class TestPki {
  private static final AtomicLong serial = new AtomicLong(System.currentTimeMillis());

  /** A certificate, its key, and where both were written. */
  public record Issued(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {}

  private TestPki() {}

  public static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A self-signed CA in {@code dir/name.pem} (and its key in {@code dir/name.key}). */
  public static Issued ca(Path dir, String name) {
    KeyPair kp = rsa();
    X500Name subject = new X500Name("CN=" + name);
    return write(dir, name, build(subject, kp, subject, kp.getPrivate(), true, List.of()), kp.getPrivate());
  }

  /** A leaf certificate signed by {@code ca} for {@code subject} (e.g. "CN=deploy,O=Acme") with these SANs. */
  public static Issued leaf(Path dir, String name, Issued ca, String subject, List<GeneralName> sans) {
    KeyPair kp = rsa();
    X500Name issuer = X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
    return write(dir, name, build(new X500Name(subject), kp, issuer, ca.key(), false, sans), kp.getPrivate());
  }

  /** A server certificate for 127.0.0.1 and localhost. */
  public static Issued server(Path dir, String name, Issued ca) {
    return leaf(dir, name, ca, "CN=localhost", List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
        new GeneralName(GeneralName.dNSName, "localhost")));
  }

  private static X509Certificate build(X500Name subject, KeyPair kp, X500Name issuer, PrivateKey signer, boolean ca,
      List<GeneralName> sans) {
    try {
      Instant now = Instant.now();
      var b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(serial.incrementAndGet()),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      if (!sans.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Issued write(Path dir, String name, X509Certificate cert, PrivateKey key) {
    Path certFile = dir.resolve(name + ".pem");
    Path keyFile = dir.resolve(name + ".key");
    writePem(certFile, List.of(new PemObject("CERTIFICATE", encoded(cert))));
    writePem(keyFile, List.of(new PemObject("PRIVATE KEY", key.getEncoded())));
    return new Issued(cert, key, certFile, keyFile);
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes to a temporary file and moves it over the target, as an operator's tooling replaces a certificate. */
  public static void writePem(Path file, List<PemObject> objects) {
    try {
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        for (PemObject o : new ArrayList<>(objects)) w.writeObject(o);
      }
      Path tmp = Files.createTempFile(file.getParent(), "pem", ".tmp");
      Files.writeString(tmp, out.toString());
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies one issued certificate and key over the files of another (a certificate renewed in place). */
  public static void replace(Issued from, Issued to) {
    try {
      Path tmpCert = Files.createTempFile(to.certFile().getParent(), "cert", ".tmp");
      Path tmpKey = Files.createTempFile(to.keyFile().getParent(), "key", ".tmp");
      Files.copy(from.certFile(), tmpCert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(from.keyFile(), tmpKey, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmpKey, to.keyFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmpCert, to.certFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
