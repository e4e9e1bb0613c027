package io.fiberlb.port;

import java.util.List;
import java.util.Map;

/**
 * A listener as the data plane serves it: only what decides how connections are accepted and proxied (no name,
 * tags or versions, so that an edit of those reconfigures nothing).
 *
 * @param connectionLimit open connections at most; negative for unlimited
 * @param defaultPoolId empty when the listener has no pool (connections are closed at once)
 * @param allowedCidrs client ranges let in; empty lets everyone in
 * @param insertHeaders HTTP and TERMINATED_HTTPS only: headers added to each request, by name (Octavia's
 *     {@code insert_headers}: {@code X-Forwarded-For}, {@code X-Forwarded-Port}, {@code X-Forwarded-Proto},
 *     {@code X-Request-Id}, and on TERMINATED_HTTPS the client certificate's {@code X-SSL-*}) with the value
 *     {@code "true"} to add it; empty adds none
 * @param l7Policies HTTP and TERMINATED_HTTPS only: the enabled policies in {@code position} order (the first whose
 *     rules all match decides); empty sends every request to {@code defaultPoolId}
 * @param tls TERMINATED_HTTPS only (null otherwise): certificates by id and the handshake's settings
 * @param acceptProxyProtocol whether each client connection starts with a PROXY protocol header (v1 or v2), whose
 *     source address then stands for the client's (balancing, allowed CIDRs, X-Forwarded-For)
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
    boolean adminStateUp,
    Map<String, String> insertHeaders,
    List<DesiredL7Policy> l7Policies,
    DesiredTls tls,
    boolean acceptProxyProtocol) {

  public DesiredListener {
    allowedCidrs = List.copyOf(allowedCidrs);
    insertHeaders = Map.copyOf(insertHeaders);
    l7Policies = List.copyOf(l7Policies);
  }

  /** A listener without L7 settings (TCP and UDP, and HTTP with none set). */
  public DesiredListener(String id, Protocol protocol, int protocolPort, String defaultPoolId, int connectionLimit,
      long timeoutClientIdleMs, long timeoutBackendConnectMs, long timeoutBackendIdleMs, List<String> allowedCidrs,
      boolean adminStateUp) {
    this(id, protocol, protocolPort, defaultPoolId, connectionLimit, timeoutClientIdleMs, timeoutBackendConnectMs,
        timeoutBackendIdleMs, allowedCidrs, adminStateUp, Map.of(), List.of(), null, false);
  }
}
