package io.fiberlb.port;

/**
 * A pool as the data plane serves it.
 *
 * @param healthCheckId the health check its backends are probed with, or empty; see
 *     {@link DesiredLoadBalancer#healthCheckOf(DesiredPool)} for whether they are
 * @param protocol how connections to its backends start: TCP/UDP/HTTP as the listener's, or PROXY/PROXYV2 (a
 *     PROXY protocol v1/v2 header carrying the client's address first, then the listener's bytes)
 * @param cookieName APP_COOKIE only: the application cookie whose value keeps a client on its backend; empty otherwise
 */
public record DesiredPool(
    String id,
    Protocol protocol,
    LbAlgorithm lbAlgorithm,
    SessionPersistenceType sessionPersistence,
    long sessionPersistenceTimeoutMs,
    String healthCheckId,
    boolean adminStateUp,
    String cookieName) {

  /** A pool without an application cookie. */
  public DesiredPool(String id, Protocol protocol, LbAlgorithm lbAlgorithm, SessionPersistenceType sessionPersistence,
      long sessionPersistenceTimeoutMs, String healthCheckId, boolean adminStateUp) {
    this(id, protocol, lbAlgorithm, sessionPersistence, sessionPersistenceTimeoutMs, healthCheckId, adminStateUp, "");
  }
}
