package io.fiberlb.port;

/**
 * A health check as the data plane runs it.
 *
 * @param expectedCodes HTTP status codes that pass, as {@link ExpectedCodes#parse(String)} reads them
 * @param domainName HTTP/HTTPS: the Host header sent; empty sends the backend's address
 * @param httpVersion HTTP/HTTPS: "1.0" or "1.1"
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
    boolean adminStateUp,
    String domainName,
    String httpVersion) {

  /** A health check with no Host header of its own, over HTTP/1.0. */
  public DesiredHealthCheck(String id, HealthCheckType type, long intervalMs, long timeoutMs, int rise, int fall,
      String httpMethod, String urlPath, String expectedCodes, boolean adminStateUp) {
    this(id, type, intervalMs, timeoutMs, rise, fall, httpMethod, urlPath, expectedCodes, adminStateUp, "", "1.0");
  }
}
