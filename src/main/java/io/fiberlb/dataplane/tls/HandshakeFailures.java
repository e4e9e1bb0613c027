package io.fiberlb.dataplane.tls;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * One TERMINATED_HTTPS listener's failed TLS handshakes, counted by a bounded set of reasons (the metric
 * {@code fiberlb_tls_handshake_failures_total}). {@link #handler} sits right after the listener's SNI or SSL handler
 * and reads its {@link SslHandshakeCompletionEvent}; the reason comes from the failure's cause, matched on the JDK's
 * and BoringSSL's (netty-tcnative) messages alike. A connection closed before it sent a byte of TLS is not a
 * handshake (port probes, TCP health checks) and is not counted. Counters survive the listener's TLS settings
 * changing (they belong to the listener, kept by {@link ListenerTls}).
 */
public final class HandshakeFailures {

  /** Why a handshake failed; the metric's {@code reason} label. */
  public enum Reason {
    /** The client offers no TLS version the listener accepts (tls_versions). */
    PROTOCOL_VERSION,
    /** No cipher suite in common (tls_ciphers). */
    NO_SHARED_CIPHER,
    /** Client authentication MANDATORY and the client sent no certificate. */
    NO_CLIENT_CERTIFICATE,
    /** The client's certificate does not chain to the listener's client CA, or is expired or malformed. */
    BAD_CERTIFICATE,
    /** The client rejected the listener's certificate (it does not trust it, or its name does not match). */
    CLIENT_REJECTED_CERTIFICATE,
    /** The first bytes were not a TLS record (a plain-text client on a TLS port). */
    NOT_TLS,
    /** The handshake did not finish within the handshake timeout. */
    TIMEOUT,
    /** The client closed the connection (or reset it) during the handshake. */
    CLOSED_EARLY,
    OTHER;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Reason, LongAdder> counts = new EnumMap<>(Reason.class);
  private final ChannelHandler handler = new Counting();

  public HandshakeFailures() {
    for (Reason r : Reason.values()) counts.put(r, new LongAdder());
  }

  /** Failed handshakes so far, by reason (every reason present, zero when none). */
  public Map<Reason, Long> counts() {
    Map<Reason, Long> out = new EnumMap<>(Reason.class);
    counts.forEach((r, n) -> out.put(r, n.sum()));
    return out;
  }

  /** The handler to put right after the TLS handler of each of the listener's connections (shared, stateless). */
  public ChannelHandler handler() {
    return handler;
  }

  void count(Throwable cause) {
    counts.get(reason(cause)).increment();
  }

  /** The reason a handshake failed with {@code cause}. */
  public static Reason reason(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SslHandshakeTimeoutException) return Reason.TIMEOUT;
      if (t instanceof NotSslRecordException) return Reason.NOT_TLS;
      if (t instanceof ClosedChannelException) return Reason.CLOSED_EARLY;
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("no_shared_cipher") || m.contains("no cipher suites in common")
          || m.contains("no appropriate cipher")) {
        return Reason.NO_SHARED_CIPHER;
      }
      if (m.contains("protocol_version") || m.contains("unsupported_protocol") || m.contains("wrong_version_number")
          || m.contains("is not enabled or supported") || m.contains("protocol versions")
          || m.contains("no appropriate protocol")) {
        return Reason.PROTOCOL_VERSION;
      }
      if (m.contains("peer_did_not_return_a_certificate") || m.contains("empty client certificate chain")
          || m.contains("certificate_required") || m.contains("no client certificate")) {
        return Reason.NO_CLIENT_CERTIFICATE;
      }
      if (m.contains("received fatal alert: certificate_unknown") || m.contains("received fatal alert: bad_certificate")
          || m.contains("received fatal alert: unknown_ca") || m.contains("tlsv1_alert_unknown_ca")
          || m.contains("sslv3_alert_bad_certificate") || m.contains("sslv3_alert_certificate_unknown")) {
        return Reason.CLIENT_REJECTED_CERTIFICATE;
      }
      if (m.contains("certificate_verify_failed") || m.contains("pkix") || m.contains("certification path")
          || m.contains("bad_certificate") || m.contains("certificate_unknown") || m.contains("certificate expired")
          || m.contains("certificateexpired") || m.contains("unknown_ca")) {
        return Reason.BAD_CERTIFICATE;
      }
      if (m.contains("closed") || m.contains("connection reset") || m.contains("broken pipe")
          || m.contains("end of stream")) {
        return Reason.CLOSED_EARLY;
      }
    }
    return Reason.OTHER;
  }

  @ChannelHandler.Sharable
  private final class Counting extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SslHandshakeCompletionEvent e) {
        if (!e.isSuccess()) count(e.cause());
        ctx.pipeline().remove(this); // one handshake per connection: nothing more to see
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
