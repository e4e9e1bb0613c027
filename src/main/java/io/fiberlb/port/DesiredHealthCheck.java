package io.fiberlb.port;

/**
 * A health check as the data plane runs it.
 *
 * @param expectedCodes HTTP status codes that pass, as {@link ExpectedCodes#parse(String)} reads them
 */
public record DesiredHealthCheck(
    String id,
    HealthCheckType type,
    long intervalMs,
    long timeoutMs,
    int rise,
    int fall,
    String httpMethod,
    String urlPath,
    String expectedCodes,
    boolean adminStateUp) {}
