package io.fiberlb.port;

import java.util.Optional;

/**
 * Where the data plane reads certificate material by id: the PEM chain and its decrypted private key, from the
 * control plane's key store (never from the event journal). Implementations are thread-safe and may block briefly
 * (a database read): callers use them off the event loop.
 */
public interface CertificateSource {

  /** The material of a certificate, or empty when there is none with that id (deleted, or never created). */
  Optional<CertificateMaterial> material(String certificateId);

  /**
   * A certificate as a TLS server or client-CA check needs it.
   *
   * @param chainPem the leaf first, then intermediates (for a CA bundle: the CA certificates)
   * @param privateKeyPem PKCS#8 or traditional PEM; empty for a CA bundle
   * @param fingerprint SHA-256 of the leaf's DER, hex: changes when the certificate is rotated
   */
  record CertificateMaterial(String chainPem, String privateKeyPem, String fingerprint) {
    @Override
    public String toString() {
      return "CertificateMaterial[fingerprint=" + fingerprint + "]";
    }
  }
}
