package io.fiberlb.port;

import java.util.List;

/**
 * How a TERMINATED_HTTPS listener shakes hands. Certificates are named by id only: their private keys never travel
 * in published configuration (which may be stored); the data plane fetches them from a {@link CertificateSource}.
 *
 * @param defaultCertificateId served when the client sends no SNI name or one no SNI certificate covers
 * @param sniCertificateIds served by the names (SANs, else subject CN) they cover, exact names before wildcards
 * @param tlsVersions allowed versions ("TLSv1.2", "TLSv1.3"); empty for both
 * @param tlsCiphers allowed cipher suites (IANA/OpenSSL names as the provider reads them); empty for its defaults
 * @param alpnProtocols offered in preference order ("h2", "http/1.1"); empty for "http/1.1" only
 * @param clientCaCertificateId the CA bundle client certificates must chain to; empty when not asked for
 * @param clientAuthentication NONE, OPTIONAL or MANDATORY
 */
public record DesiredTls(
    String defaultCertificateId,
    List<String> sniCertificateIds,
    List<String> tlsVersions,
    List<String> tlsCiphers,
    List<String> alpnProtocols,
    String clientCaCertificateId,
    ClientAuthentication clientAuthentication) {

  public DesiredTls {
    sniCertificateIds = List.copyOf(sniCertificateIds);
    tlsVersions = List.copyOf(tlsVersions);
    tlsCiphers = List.copyOf(tlsCiphers);
    alpnProtocols = List.copyOf(alpnProtocols);
  }

  /** Whether the listener asks clients for a certificate, and whether it refuses those without one. */
  public enum ClientAuthentication { NONE, OPTIONAL, MANDATORY }
}
