package io.fiberlb.controlplane.certificate;

import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * What may be said about a certificate in public: everything its events carry. Never the private key (the event
 * journal is never purged): that lives encrypted in the key store ({@link CertificateKeyStore}) and goes when the
 * certificate is deleted.
 *
 * @param fingerprint SHA-256 of the leaf's DER (of the first certificate of a CA bundle), lower-case hex
 * @param subject the leaf's subject, RFC 2253
 * @param sans the leaf's DNS and IP subject alternative names
 * @param keyType RSA-2048, EC-P256, ...
 * @param chainLength how many certificates the chain (or bundle) holds
 */
public record CertificateFacts(Type type, String fingerprint, String subject, List<String> sans, Instant notBefore,
    Instant notAfter, String keyType, int chainLength) implements CborSerializable {

  public CertificateFacts {
    sans = List.copyOf(sans);
  }

  /** A server certificate with its key, or a bundle of CA certificates to check client certificates against. */
  public enum Type { SERVER, CA_BUNDLE }

  /** ACTIVE, EXPIRED or NOT_YET_VALID at {@code now}. */
  public String status(Instant now) {
    if (now.isAfter(notAfter)) return "EXPIRED";
    if (now.isBefore(notBefore)) return "NOT_YET_VALID";
    return "ACTIVE";
  }
}
