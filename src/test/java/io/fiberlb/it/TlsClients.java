package io.fiberlb.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Real TLS clients for tests of TERMINATED_HTTPS listeners: the JDK's (a context trusting one CA; a handshake with
 * or without an SNI name) and {@code openssl s_client} as a process, stopped by its own handle.
 */
public final class TlsClients {
  private TlsClients() {}

  /** A client context trusting {@code ca} only. */
  public static SSLContext trusting(X509Certificate ca) {
    return CertKit.clientContext(ca, null);
  }

  /** A finished handshake with {@code sni} (none when null). */
  public static SSLSocket connect(SSLContext tls, String host, int port, String sni) throws IOException {
    var socket = (SSLSocket) tls.getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress(host, port), 2000);
    socket.setSoTimeout(5000);
    var params = socket.getSSLParameters();
    params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    socket.setSSLParameters(params);
    socket.startHandshake();
    return socket;
  }

  /** The leaf certificate the listener served for {@code sni}; null when the handshake did not happen. */
  public static X509Certificate handshake(SSLContext tls, String host, int port, String sni) {
    try (SSLSocket s = connect(tls, host, port, sni)) {
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    } catch (IOException e) {
      return null;
    }
  }

  /** One GET of {@code path} over a fresh TLS connection with {@code sni}; the whole answer as text. */
  public static String request(SSLContext tls, String host, int port, String sni, String path) throws IOException {
    try (SSLSocket s = connect(tls, host, port, sni)) {
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * The leaf certificate {@code openssl s_client} received from {@code host:port} with {@code -servername sni}
   * ({@code -noservername} when null), parsed from the PEM block it prints; null when it printed none.
   */
  public static X509Certificate sClient(String host, int port, String sni) throws Exception {
    var args = new ArrayList<>(List.of("-connect", host + ":" + port));
    if (sni != null) args.addAll(List.of("-servername", sni));
    else args.add("-noservername");
    String out = sClientOutput(args);
    int begin = out.indexOf("-----BEGIN CERTIFICATE-----");
    if (begin < 0) return null;
    int end = out.indexOf("-----END CERTIFICATE-----", begin) + "-----END CERTIFICATE-----".length();
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
        new ByteArrayInputStream(out.substring(begin, end).getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * What {@code openssl s_client} with these arguments prints (stdout and stderr) for one connection: run as its own
   * process with no input, so that it ends after the handshake, and stopped by its PID if it does not.
   */
  public static String sClientOutput(List<String> args) throws Exception {
    var cmd = new ArrayList<>(List.of("openssl", "s_client"));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS)) throw new AssertionError("openssl s_client did not finish: " + cmd);
      return out;
    } finally {
      if (p.isAlive()) p.destroyForcibly();
    }
  }
}
