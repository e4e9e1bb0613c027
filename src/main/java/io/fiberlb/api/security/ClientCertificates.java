package io.fiberlb.api.security;

import com.typesafe.config.Config;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * Client certificates the TLS handshake verified against the client CA bundle, mapped to identities by their
 * subject (RFC 2253 as {@code openssl x509 -noout -subject -nameopt RFC2253} prints it, e.g.
 * {@code CN=deploy,O=Acme}; compared in canonical form, so case and spacing do not matter) or one of their subject alternative names (DNS, URI, e-mail or
 * IP, as written in the certificate). A verified certificate that no mapping names proves nothing.
 */
public final class ClientCertificates implements Authenticator {
  /** One mapping: exactly one of subject and san is set. */
  record Mapping(String subject, String san, String org, String project, Set<Role> roles) {}

  private final List<Mapping> mappings;

  ClientCertificates(List<Mapping> mappings) {
    this.mappings = List.copyOf(mappings);
  }

  /** From {@code fiberlb.auth.client-certificates}: a list of {subject|san, org, project, roles}. */
  public static ClientCertificates from(List<? extends Config> entries) {
    List<Mapping> out = new ArrayList<>();
    for (Config c : entries) {
      String subject = c.hasPath("subject")
          ? new X500Principal(c.getString("subject")).getName(X500Principal.CANONICAL) : null;
      String san = c.hasPath("san") ? c.getString("san") : null;
      if ((subject == null) == (san == null)) {
        throw new IllegalArgumentException("fiberlb.auth.client-certificates: each entry names a subject or a san, "
            + "not both and not neither: " + c.root().render());
      }
      out.add(new Mapping(subject, san, c.getString("org"), c.getString("project"),
          Set.copyOf(c.getStringList("roles").stream().map(Role::of).toList())));
    }
    return new ClientCertificates(out);
  }

  public boolean isEmpty() {
    return mappings.isEmpty();
  }

  @Override
  public Optional<Principal> authenticate(Credentials credentials) {
    if (credentials.clientChain().isEmpty()) return Optional.empty();
    X509Certificate leaf = credentials.clientChain().get(0);
    String subject = leaf.getSubjectX500Principal().getName(X500Principal.CANONICAL);
    List<String> sans = sans(leaf);
    for (Mapping m : mappings) {
      if ((m.subject() != null && m.subject().equals(subject)) || (m.san() != null && sans.contains(m.san()))) {
        String name = m.subject() != null ? leaf.getSubjectX500Principal().getName() : m.san();
        return Optional.of(new Principal("cert:" + name, m.org(), m.project(),
            m.roles()));
      }
    }
    return Optional.empty();
  }

  private static List<String> sans(X509Certificate cert) {
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      if (names == null) return List.of();
      return names.stream().map(n -> n.get(1)).filter(v -> v instanceof String).map(v -> (String) v).toList();
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }
}
