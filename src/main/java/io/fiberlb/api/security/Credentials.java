package io.fiberlb.api.security;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What a request presented: the bearer token of its {@code authorization} header (or null) and the client
 * certificate chain its TLS handshake verified (empty without mutual TLS).
 */
public record Credentials(String bearer, List<X509Certificate> clientChain) {
  public Credentials {
    clientChain = List.copyOf(clientChain);
  }
}
