package io.fiberlb.controlplane.certificate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/**
 * Reads and checks what a client uploads as a certificate, with the JDK alone (no provider of our own: a key is
 * only ever parsed, never generated): a PEM chain and its private key, or a CA bundle. Every refusal is an
 * {@link Invalid} naming the request field and the rule. What is checked, in this order:
 * <ol>
 *   <li>{@code certificate_pem}: at least one {@code CERTIFICATE} block, each of which X.509 parses;</li>
 *   <li>a server certificate: the leaf (the first block) is valid now (neither expired nor before its not-before);
 *       each next certificate is the issuer of the one before it (its subject is that one's issuer and its key
 *       verifies that one's signature): leaf first, then intermediates, optionally the root;</li>
 *   <li>{@code private_key_pem}: one {@code PRIVATE KEY} (PKCS#8), {@code RSA PRIVATE KEY} (PKCS#1) or
 *       {@code EC PRIVATE KEY} (SEC1) block, unencrypted, RSA or EC, and it is the leaf's key (it signs a random
 *       challenge that the leaf's public key verifies);</li>
 *   <li>a CA bundle (no key): every certificate is a CA (basic constraints) and valid now.</li>
 * </ol>
 * The key is kept as PKCS#8 PEM whatever form it came in, so that every TLS provider reads it.
 */
public final class PemCertificates {
  private PemCertificates() {}

  /** A refusal naming the field: the API answers it as INVALID_ARGUMENT. */
  public static final class Invalid extends IllegalArgumentException {
    public Invalid(String message) {
      super(message);
    }
  }

  /**
   * An upload that passed every check.
   *
   * @param chainPem the certificates as the client sent them, re-encoded (one canonical PEM block each)
   * @param privateKeyPem PKCS#8 PEM; empty for a CA bundle
   */
  public record Parsed(CertificateFacts facts, String chainPem, String privateKeyPem) {
    @Override
    public String toString() {
      return "Parsed[" + facts + "]";
    }
  }

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

  /** A server certificate: chain and key. */
  public static Parsed server(String chainPem, String keyPem, Instant now) {
    List<X509Certificate> chain = certificates(chainPem, "certificate_pem");
    X509Certificate leaf = chain.get(0);
    checkValid(leaf, "certificate_pem: the leaf certificate (" + name(leaf) + ")", now);
    checkOrder(chain);
    if (keyPem.isBlank()) {
      throw new Invalid("private_key_pem: is required with a server certificate (for a CA bundle send"
          + " certificate_pem alone with type CA_BUNDLE)");
    }
    PrivateKey key = privateKey(keyPem, leaf.getPublicKey());
    checkMatches(key, leaf);
    return new Parsed(facts(CertificateFacts.Type.SERVER, chain, keyType(leaf.getPublicKey())), pem(chain),
        pem("PRIVATE KEY", key.getEncoded()));
  }

  /** A CA bundle for client certificate authentication: CA certificates, no key. */
  public static Parsed caBundle(String bundlePem, String keyPem, Instant now) {
    if (!keyPem.isBlank()) throw new Invalid("private_key_pem: must be empty for a CA bundle (type CA_BUNDLE)");
    List<X509Certificate> cas = certificates(bundlePem, "certificate_pem");
    for (int i = 0; i < cas.size(); i++) {
      X509Certificate c = cas.get(i);
      String which = "certificate_pem: certificate " + (i + 1) + " (" + name(c) + ")";
      if (c.getBasicConstraints() < 0) throw new Invalid(which + " is not a CA certificate (basic constraints)");
      checkValid(c, which, now);
    }
    return new Parsed(facts(CertificateFacts.Type.CA_BUNDLE, cas, keyType(cas.get(0).getPublicKey())), pem(cas), "");
  }

  /** The certificates of a PEM text, in order; the message names {@code field}. */
  public static List<X509Certificate> certificates(String text, String field) {
    if (text.isBlank()) throw new Invalid(field + ": is required (PEM, -----BEGIN CERTIFICATE-----)");
    var out = new ArrayList<X509Certificate>();
    CertificateFactory cf = x509();
    Matcher m = BLOCK.matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
      if (!m.group(1).equals("CERTIFICATE")) {
        throw new Invalid(field + ": block " + n + " is '" + m.group(1) + "', only CERTIFICATE blocks belong here"
            + (m.group(1).contains("PRIVATE KEY") ? " (send the key as private_key_pem)" : ""));
      }
      byte[] der = base64(m.group(2), field + ": block " + n);
      try {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException e) {
        throw new Invalid(field + ": block " + n + " is not an X.509 certificate (" + e.getMessage() + ")");
      }
    }
    if (out.isEmpty()) throw new Invalid(field + ": no PEM certificate found (expected -----BEGIN CERTIFICATE-----)");
    return out;
  }

  /**
   * A private key from PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM; a SEC1 key that names no curve takes the curve of
   * {@code leafKey} (the certificate it belongs to).
   */
  public static PrivateKey privateKey(String text, PublicKey leafKey) {
    Matcher m = BLOCK.matcher(text);
    if (!m.find()) throw new Invalid("private_key_pem: no PEM private key found (expected -----BEGIN PRIVATE KEY-----)");
    String type = m.group(1);
    byte[] der = base64(m.group(2), "private_key_pem");
    if (m.find()) throw new Invalid("private_key_pem: must hold one key, got more than one PEM block");
    byte[] pkcs8 = switch (type) {
      case "PRIVATE KEY" -> der;
      case "RSA PRIVATE KEY" -> Der.rsaPkcs1ToPkcs8(der);
      case "EC PRIVATE KEY" -> Der.sec1ToPkcs8(der, leafKey);
      case "ENCRYPTED PRIVATE KEY" -> throw new Invalid("private_key_pem: encrypted keys are not accepted; decrypt"
          + " it first (openssl pkcs8 -topk8 -nocrypt); the server stores it encrypted under its own key");
      default -> throw new Invalid("private_key_pem: block '" + type + "' is not a private key (PRIVATE KEY,"
          + " RSA PRIVATE KEY or EC PRIVATE KEY)");
    };
    for (String alg : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw new Invalid("private_key_pem: not an RSA or EC private key that parses");
  }

  private static void checkValid(X509Certificate c, String which, Instant now) {
    if (now.isAfter(c.getNotAfter().toInstant())) {
      throw new Invalid(which + " expired at " + c.getNotAfter().toInstant());
    }
    if (now.isBefore(c.getNotBefore().toInstant())) {
      throw new Invalid(which + " is not valid yet: not before " + c.getNotBefore().toInstant());
    }
  }

  private static void checkOrder(List<X509Certificate> chain) {
    for (int i = 0; i + 1 < chain.size(); i++) {
      X509Certificate child = chain.get(i);
      X509Certificate issuer = chain.get(i + 1);
      boolean signs = child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
      if (signs) {
        try {
          child.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
          signs = false;
        }
      }
      if (!signs) {
        throw new Invalid("certificate_pem: certificate " + (i + 2) + " (" + name(issuer) + ") did not issue"
            + " certificate " + (i + 1) + " (" + name(child) + "); send the leaf first, then each issuer in turn");
      }
    }
  }

  private static void checkMatches(PrivateKey key, X509Certificate leaf) {
    PublicKey pub = leaf.getPublicKey();
    if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
      throw new Invalid("private_key_pem: is an " + key.getAlgorithm() + " key, the leaf certificate's is "
          + pub.getAlgorithm() + "; it is not the leaf's key");
    }
    String alg = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(challenge);
      if (v.verify(sig)) return;
    } catch (GeneralSecurityException e) {
      // does not match
    }
    throw new Invalid("private_key_pem: does not match the leaf certificate (" + name(leaf) + ")");
  }

  private static CertificateFacts facts(CertificateFacts.Type type, List<X509Certificate> chain, String keyType) {
    X509Certificate leaf = chain.get(0);
    return new CertificateFacts(type, fingerprint(leaf), leaf.getSubjectX500Principal().getName(X500Principal.RFC2253),
        sans(leaf), leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), keyType, chain.size());
  }

  /** SHA-256 of the certificate's DER, lower-case hex. */
  public static String fingerprint(X509Certificate c) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** DNS and IP subject alternative names, as the certificate lists them. */
  public static List<String> sans(X509Certificate c) {
    var out = new ArrayList<String>();
    try {
      var all = c.getSubjectAlternativeNames();
      if (all != null) {
        for (List<?> san : all) {
          int kind = (Integer) san.get(0);
          if (kind == 2 || kind == 7) out.add(String.valueOf(san.get(1)));
        }
      }
    } catch (CertificateParsingException e) {
      // no usable SANs
    }
    return out;
  }

  /** The subject's common name, or empty. */
  public static String commonName(X509Certificate c) {
    for (String rdn : c.getSubjectX500Principal().getName(X500Principal.RFC2253).split("(?<!\\\\),")) {
      if (rdn.regionMatches(true, 0, "CN=", 0, 3)) return rdn.substring(3);
    }
    return "";
  }

  static String keyType(PublicKey k) {
    if (k instanceof RSAKey r) return "RSA-" + r.getModulus().bitLength();
    if (k instanceof ECKey e) return "EC-P" + e.getParams().getCurve().getField().getFieldSize();
    return k.getAlgorithm();
  }

  private static String name(X509Certificate c) {
    return c.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }

  private static byte[] base64(String body, String where) {
    if (body.contains(":")) throw new Invalid(where + ": PEM headers (encrypted PEM) are not accepted");
    try {
      return Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new Invalid(where + ": is not valid base64 PEM (" + e.getMessage() + ")");
    }
  }

  private static CertificateFactory x509() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("every Java runtime has X.509", e);
    }
  }

  static String pem(List<X509Certificate> chain) {
    var sb = new StringBuilder();
    for (X509Certificate c : chain) {
      try {
        sb.append(pem("CERTIFICATE", c.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** The few DER shapes needed to turn PKCS#1 and SEC1 keys into PKCS#8, which the JDK reads. */
  static final class Der {
    private Der() {}

    private static final byte[] RSA_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    private static final byte[] EC_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
      byte[] alg = tlv(0x30, concat(RSA_OID, new byte[] {0x05, 0x00}));
      return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, pkcs1)));
    }

    /** SEC1 (RFC 5915) with its named curve in [0]: the curve moves into the PKCS#8 algorithm identifier. */
    static byte[] sec1ToPkcs8(byte[] sec1, PublicKey leafKey) {
      byte[] curve = null;
      try {
        int[] seq = header(sec1, 0); // SEQUENCE
        int p = seq[0];
        int end = seq[0] + seq[1];
        while (p < end) {
          int tag = sec1[p] & 0xff;
          int[] h = header(sec1, p);
          if (tag == 0xa0) {
            int[] oid = header(sec1, h[0]);
            curve = java.util.Arrays.copyOfRange(sec1, h[0], oid[0] + oid[1]);
          }
          p = h[0] + h[1];
        }
      } catch (RuntimeException e) {
        throw new Invalid("private_key_pem: the EC PRIVATE KEY block is not SEC1 DER");
      }
      byte[] alg;
      if (curve != null) {
        alg = tlv(0x30, concat(EC_OID, curve));
      } else if (leafKey != null && leafKey.getAlgorithm().equals("EC")) {
        // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier (ecPublicKey, curve), BIT STRING }
        byte[] spki = leafKey.getEncoded();
        int[] outer = header(spki, 0);
        int[] id = header(spki, outer[0]);
        alg = java.util.Arrays.copyOfRange(spki, outer[0], id[0] + id[1]);
      } else {
        throw new Invalid("private_key_pem: the EC PRIVATE KEY names no curve and the leaf certificate's key is not"
            + " EC; it is not the leaf's key");
      }
      return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, alg, tlv(0x04, sec1)));
    }

    /** {content start, content length} of the element at {@code p}. */
    private static int[] header(byte[] d, int p) {
      int len = d[p + 1] & 0xff;
      int start = p + 2;
      if (len >= 0x80) {
        int n = len & 0x7f;
        if (n == 0 || n > 3) throw new IllegalArgumentException("bad DER length");
        len = new BigInteger(1, java.util.Arrays.copyOfRange(d, start, start + n)).intValueExact();
        start += n;
      }
      if (start + len > d.length) throw new IllegalArgumentException("DER overruns");
      return new int[] {start, len};
    }

    private static byte[] tlv(int tag, byte[] content) {
      var out = new ByteArrayOutputStream();
      out.write(tag);
      int n = content.length;
      if (n < 0x80) {
        out.write(n);
      } else if (n < 0x100) {
        out.write(0x81);
        out.write(n);
      } else if (n < 0x10000) {
        out.write(0x82);
        out.write(n >> 8);
        out.write(n);
      } else {
        out.write(0x83);
        out.write(n >> 16);
        out.write(n >> 8);
        out.write(n);
      }
      out.writeBytes(content);
      return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
      var out = new ByteArrayOutputStream();
      for (byte[] p : parts) out.writeBytes(p);
      return out.toByteArray();
    }
  }
}
