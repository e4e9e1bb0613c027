package io.fiberlb.port;

/**
 * A pool as the data plane serves it.
 *
 * @param healthCheckId the health check its backends are probed with, or empty; see
 *     {@link DesiredLoadBalancer#healthCheckOf(DesiredPool)} for whether they are
 */
public record DesiredPool(
    String id,
    Protocol protocol,
    LbAlgorithm lbAlgorithm,
    SessionPersistenceType sessionPersistence,
    long sessionPersistenceTimeoutMs,
    String healthCheckId,
    boolean adminStateUp) {}
