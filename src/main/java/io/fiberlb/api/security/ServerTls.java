package io.fiberlb.api.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * TLS for the gRPC API from PEM files, read again when they change: each new handshake uses the certificate on disk
 * as it was at most {@code reloadInterval} ago, connections already open keep theirs. TLS 1.2 and 1.3 only. With a
 * client CA bundle, the handshake asks for a client certificate signed by one of its CAs: required
 * ({@code need}) or optional ({@code want}, for servers that take bearer tokens too).
 */
public final class ServerTls {
  private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private final WatchedFile<SSLContext> context;
  private final boolean mutual;
  private final boolean clientCertRequired;

  /** @param clientCa null: no mutual TLS */
  public ServerTls(Path cert, Path key, Path clientCa, boolean clientCertRequired, Duration reloadInterval) {
    List<Path> files = new ArrayList<>(List.of(cert, key));
    if (clientCa != null) files.add(clientCa);
    this.context = new WatchedFile<>(files, reloadInterval,
        paths -> TlsFiles.serverContext(paths.get(0), paths.get(1), paths.size() > 2 ? paths.get(2) : null));
    this.mutual = clientCa != null;
    this.clientCertRequired = clientCertRequired;
  }

  public boolean mutual() {
    return mutual;
  }

  public HttpsConnectionContext connectionContext() {
    return ConnectionContext.httpsServer(this::newEngine);
  }

  private SSLEngine newEngine() {
    SSLEngine engine = context.get().createSSLEngine();
    engine.setUseClientMode(false);
    List<String> supported = Arrays.asList(engine.getSupportedProtocols());
    engine.setEnabledProtocols(PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new));
    if (mutual) {
      if (clientCertRequired) engine.setNeedClientAuth(true);
      else engine.setWantClientAuth(true);
    }
    return engine;
  }
}
