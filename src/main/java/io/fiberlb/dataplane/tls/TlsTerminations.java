package io.fiberlb.dataplane.tls;

import io.fiberlb.port.CertificateSource;
import io.fiberlb.port.DesiredTls;
import io.netty.handler.ssl.SslProvider;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the TLS of a node's TERMINATED_HTTPS listeners ({@link SniTlsTermination}) with one provider, and keeps
 * them serving the certificates' current material. How a rotation reaches them: a rotation or delete written
 * through this node's key store calls {@link #certificateChanged} before the API answers, which rebuilds the
 * listeners using that certificate there and then (so the next handshake serves it); a change written through
 * another node arrives here the same way, through {@link #certificateChanged}, from the wiring's cluster pub-sub
 * ({@code io.fiberlb.cluster.CertificateChanges}). Every {@code fiberlb.dataplane.tls-refresh-interval} each
 * listener also compares its fingerprints with the store's (one small query per certificate, decrypting only a
 * fingerprint it has not seen): the safety net for a notice a node missed.
 */
public final class TlsTerminations implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsTerminations.class);

  private final CertificateSource source;
  private final SslProvider provider;
  private final Set<SniTlsTermination> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread;

  public TlsTerminations(CertificateSource source, SslProvider provider, Duration refreshInterval) {
    this.source = source;
    this.provider = provider;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "fiberlb-tls-refresh");
      t.setDaemon(true);
      return t;
    });
    long ms = Math.max(100, refreshInterval.toMillis());
    thread.scheduleWithFixedDelay(this::refreshAll, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** From {@code fiberlb.dataplane.tls-provider} and {@code tls-refresh-interval}. */
  public static TlsTerminations from(com.typesafe.config.Config dataplane, CertificateSource source) {
    return new TlsTerminations(source, TlsProviders.choose(dataplane.getString("tls-provider")),
        dataplane.getDuration("tls-refresh-interval"));
  }

  public SslProvider provider() {
    return provider;
  }

  /**
   * A listener's TLS, kept current until {@link #release}d. Blocks (reads the certificates): call it off the event
   * loop. Fails naming the certificate when one is missing or does not build.
   */
  public SniTlsTermination open(DesiredTls tls) {
    return open(tls, new HandshakeFailures());
  }

  /** As {@link #open(DesiredTls)}, counting failed handshakes in the listener's {@code failures}. */
  public SniTlsTermination open(DesiredTls tls, HandshakeFailures failures) {
    var t = new SniTlsTermination(tls, source, provider, failures);
    open.add(t);
    return t;
  }

  /** The listener stopped: its TLS is no longer refreshed. */
  public void release(SniTlsTermination t) {
    open.remove(t);
  }

  /** A certificate was rotated or deleted (through this node or another): listeners using it rebuild now (blocking). */
  public void certificateChanged(String certificateId) {
    for (SniTlsTermination t : open) {
      if (t.certificateIds().contains(certificateId)) refresh(t);
    }
  }

  private void refreshAll() {
    for (SniTlsTermination t : open) refresh(t);
  }

  private void refresh(SniTlsTermination t) {
    try {
      if (t.refresh()) log.info("TLS listener now serves certificates {}", t.fingerprints());
    } catch (RuntimeException e) {
      // Deleted or unreadable: the listener keeps serving what it has rather than failing every handshake.
      log.warn("TLS listener keeps its current certificates: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    open.clear();
  }
}
