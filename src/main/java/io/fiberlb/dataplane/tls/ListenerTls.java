package io.fiberlb.dataplane.tls;

import io.fiberlb.dataplane.engine.netty.TlsTermination;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredTls;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each TERMINATED_HTTPS listener's TLS termination, kept while its TLS settings stay the same: the data plane asks
 * for it at every configuration it applies, and an unchanged listener must get the same object (an equal listener
 * configuration reconfigures nothing). New settings release the old termination and open a new one; certificate
 * rotations are the termination's own business ({@link TlsTerminations}).
 */
public final class ListenerTls {
  private static final Logger log = LoggerFactory.getLogger(ListenerTls.class);

  private record Open(DesiredTls tls, SniTlsTermination termination) {}

  private final TlsTerminations terminations;
  private final Map<String, Open> byListener = new ConcurrentHashMap<>();
  private final Map<String, HandshakeFailures> failures = new ConcurrentHashMap<>();

  public ListenerTls(TlsTerminations terminations) {
    this.terminations = terminations;
  }

  /**
   * The listener's termination, or null while it cannot be built (a certificate missing or unreadable: the listener
   * reports that and tries again). Reads certificates the first time (blocking, briefly).
   */
  public TlsTermination of(DesiredListener listener) {
    DesiredTls tls = listener.tls();
    if (tls == null) return null;
    Open current = byListener.get(listener.id());
    if (current != null && current.tls().equals(tls)) return current.termination();
    try {
      SniTlsTermination opened = terminations.open(tls,
          failures.computeIfAbsent(listener.id(), id -> new HandshakeFailures()));
      Open previous = byListener.put(listener.id(), new Open(tls, opened));
      if (previous != null) terminations.release(previous.termination());
      return opened;
    } catch (RuntimeException e) {
      log.warn("listener {}: TLS not available yet: {}", listener.id(), e.getMessage());
      return null;
    }
  }

  /**
   * Each TERMINATED_HTTPS listener's failed handshakes by reason, by listener id: kept across its TLS settings'
   * changes, for as long as the node runs (the metrics show only the listeners the data plane serves).
   */
  public Map<String, HandshakeFailures> handshakeFailures() {
    return failures;
  }
}
