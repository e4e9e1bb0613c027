package io.fiberlb.dataplane.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation TERMINATED_HTTPS listeners use ({@code fiberlb.dataplane.tls-provider}): {@code openssl}
 * (BoringSSL through netty-tcnative; a start fails when it does not load), {@code jdk}, or {@code auto} (openssl
 * when it loads, jdk otherwise). Which is faster here is for the benchmarks to say (docs/benchmarks.md); the choice
 * is logged once.
 */
public final class TlsProviders {
  private static final Logger log = LoggerFactory.getLogger(TlsProviders.class);

  private TlsProviders() {}

  public static SslProvider choose(String setting) {
    String s = setting.trim().toLowerCase(Locale.ROOT);
    SslProvider chosen = switch (s) {
      case "openssl" -> {
        if (!OpenSsl.isAvailable()) {
          throw new IllegalStateException("fiberlb.dataplane.tls-provider (FIBERLB_TLS_PROVIDER) is openssl, but"
              + " netty-tcnative does not load here: " + OpenSsl.unavailabilityCause() + " (use auto or jdk)");
        }
        yield SslProvider.OPENSSL;
      }
      case "jdk" -> SslProvider.JDK;
      case "auto" -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
      default -> throw new IllegalArgumentException("fiberlb.dataplane.tls-provider (FIBERLB_TLS_PROVIDER): must be"
          + " openssl, jdk or auto, got '" + setting + "'");
    };
    if (chosen == SslProvider.OPENSSL) {
      log.info("TLS listeners: OpenSSL provider ({}, tls-provider {})", OpenSsl.versionString(), s);
    } else {
      log.info("TLS listeners: JDK provider (tls-provider {}{})", s,
          s.equals("auto") ? "; OpenSSL did not load: " + OpenSsl.unavailabilityCause() : "");
    }
    return chosen;
  }
}
