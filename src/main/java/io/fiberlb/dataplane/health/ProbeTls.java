package io.fiberlb.dataplane.health;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.apache.pekko.util.ByteString;

/**
 * TLS for HTTPS and TLS_HELLO probes. The backend's certificate is not verified (neither chain nor name), as
 * Octavia's amphora configures HAProxy ({@code check-ssl verify none}): a health check asks whether the backend
 * serves, not whether it is who it says; a backend with a self-signed or expired certificate is up. The JDK's
 * TLS provider, client mode, TLS 1.2 and 1.3.
 */
final class ProbeTls {
  private ProbeTls() {}

  /** Built once: an SSLContext is costly to initialise, and it holds no state of one backend. */
  private static final SSLContext CONTEXT = insecureContext();

  private static SSLContext insecureContext() {
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  /**
   * A client engine for {@code host}:{@code port}: {@code host} is the domain name sent as SNI (the JDK sends it
   * only for a name, never for an IP address) and names the session.
   */
  static SSLEngine client(String host, int port) {
    SSLEngine e = CONTEXT.createSSLEngine(host, port);
    e.setUseClientMode(true);
    return e;
  }

  /** The first flight of a handshake with {@code host}: a ClientHello record, as a TLS client sends it. */
  static ByteString clientHello(String host, int port) {
    SSLEngine e = client(host, port);
    try {
      e.beginHandshake();
      ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
      e.wrap(ByteBuffer.allocate(0), out);
      out.flip();
      return ByteString.fromByteBuffer(out);
    } catch (SSLException ex) {
      throw new IllegalStateException("cannot build a ClientHello: " + ex.getMessage(), ex);
    } finally {
      e.closeOutbound();
    }
  }

  /** Bytes of a TLS record header and the handshake type after it: enough to tell a ServerHello. */
  static final int HELLO_PREFIX = 6;

  /**
   * The verdict on the first {@link #HELLO_PREFIX} bytes a server sent back to a ClientHello: empty when they start
   * a ServerHello (a handshake record, {@code 0x16 0x03 xx}, whose first message is of type 2: a HelloRetryRequest
   * is one too), else the reason: a TLS alert, or anything else.
   */
  static String judgeHello(ByteString first) {
    if (first.size() < HELLO_PREFIX) return "no server hello";
    int type = first.apply(0) & 0xff;
    int major = first.apply(1) & 0xff;
    if (type == 0x15 && major == 3) return "tls alert";
    if (type != 0x16 || major != 3 || (first.apply(5) & 0xff) != 2) return "not a TLS server hello";
    return "";
  }
}
