package io.fiberlb.api.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * PEM files into an {@link SSLContext}: the private key through pekko-pki (PKCS#8 {@code PRIVATE KEY}, or PKCS#1
 * {@code RSA PRIVATE KEY}), certificates through the JDK's X.509 factory, which reads a PEM bundle of several
 * certificates as it is (pekko-pki 1.2 has no certificate reader).
 */
public final class TlsFiles {
  private static final char[] NO_PASSWORD = new char[0];

  private TlsFiles() {}

  /**
   * @param certChain the server's certificate first, then the intermediates
   * @param clientCa null: no client certificates are asked for
   */
  public static SSLContext serverContext(Path certChain, Path key, Path clientCa) {
    return context(certChain, key, clientCa);
  }

  /**
   * A client's context: trust in {@code ca} (null: the JDK's default CAs), and a client certificate for mutual TLS
   * when {@code cert} and {@code key} are given (else null).
   */
  public static SSLContext clientContext(Path ca, Path cert, Path key) {
    return context(cert, key, ca);
  }

  /** Our certificate and key (both null: none), and trust in a CA bundle (null: the JDK's default). */
  private static SSLContext context(Path certChain, Path key, Path trust) {
    try {
      KeyManagerFactory kmf = null;
      if (certChain != null) {
        List<X509Certificate> chain = certificates(certChain);
        if (chain.isEmpty()) throw new IllegalArgumentException(certChain + ": no certificate in it");
        PrivateKey privateKey = DERPrivateKeyLoader.load(PEMDecoder.decode(read(key)));
        checkPair(chain.get(0), privateKey);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("key", privateKey, NO_PASSWORD, chain.toArray(Certificate[]::new));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, NO_PASSWORD);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(),
          trust == null ? null : trustManagers(trust).getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException | org.apache.pekko.pki.pem.PEMLoadingException e) {
      throw new IllegalArgumentException("cannot use the TLS files " + certChain + " and " + key
          + (trust == null ? "" : " and " + trust) + ": " + e.getMessage(), e);
    }
  }

  /**
   * A key that does not belong to the certificate would make every handshake fail; refusing it here keeps the
   * last good pair while a renewal has replaced one file and not yet the other.
   */
  private static void checkPair(X509Certificate cert, PrivateKey key) throws GeneralSecurityException {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm();
    };
    byte[] probe = "fiberlb key check".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(alg);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(alg);
    verifier.initVerify(cert.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new GeneralSecurityException("the private key does not belong to the certificate "
          + cert.getSubjectX500Principal().getName());
    }
  }

  /** Trust in the CA certificates of a PEM bundle, and nothing else. */
  public static TrustManagerFactory trustManagers(Path caBundle) throws GeneralSecurityException, IOException {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    List<X509Certificate> cas = certificates(caBundle);
    if (cas.isEmpty()) throw new IllegalArgumentException(caBundle + ": no certificate in it");
    for (int i = 0; i < cas.size(); i++) trusted.setCertificateEntry("ca-" + i, cas.get(i));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    return tmf;
  }

  public static List<X509Certificate> certificates(Path pem) throws GeneralSecurityException {
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c : CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(read(pem).getBytes(StandardCharsets.ISO_8859_1)))) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }
}
