package io.fiberlb.port;

import java.util.List;

/**
 * A listener as the data plane serves it: only what decides how connections are accepted and proxied (no name,
 * tags or versions, so that an edit of those reconfigures nothing).
 *
 * @param connectionLimit open connections at most; negative for unlimited
 * @param defaultPoolId empty when the listener has no pool (connections are closed at once)
 * @param allowedCidrs client ranges let in; empty lets everyone in
 */
public record DesiredListener(
    String id,
    Protocol protocol,
    int protocolPort,
    String defaultPoolId,
    int connectionLimit,
    long timeoutClientIdleMs,
    long timeoutBackendConnectMs,
    long timeoutBackendIdleMs,
    List<String> allowedCidrs,
    boolean adminStateUp) {

  public DesiredListener {
    allowedCidrs = List.copyOf(allowedCidrs);
  }
}
