package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.fiberlb.controlplane.model.Enums.HealthCheckType;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Validation.Check;
import io.fiberlb.util.Durations;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A health check (Octavia: health monitor): how the backends of the pools that use it are probed.
 *
 * @param domainName HTTP/HTTPS: the Host header sent; empty sends the backend's address
 * @param httpVersion HTTP/HTTPS: "1.0" or "1.1" (a domain name needs 1.1, as in Octavia)
 *
 * <p>{@code domainName} and {@code httpVersion} were added with issue 12: absent from older events, read as empty
 * and "1.0" (what the checks sent before).
 */
public record HealthCheck(
    String id,
    String name,
    HealthCheckType type,
    long intervalMs,
    long timeoutMs,
    int rise,
    int fall,
    String httpMethod,
    String urlPath,
    String expectedCodes,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt,
    String domainName,
    String httpVersion)
    implements Child {

  public static final List<String> HTTP_VERSIONS = List.of("1.0", "1.1");

  @JsonCreator
  public HealthCheck {
    domainName = domainName == null ? "" : domainName;
    httpVersion = httpVersion == null ? "1.0" : httpVersion;
  }

  /** A health check without a domain name, over HTTP/1.0 (the shape before issue 12). */
  public HealthCheck(String id, String name, HealthCheckType type, long intervalMs, long timeoutMs, int rise, int fall,
      String httpMethod, String urlPath, String expectedCodes, boolean adminStateUp, List<String> tags, long version,
      long createdVersion, Instant createdAt, Instant updatedAt) {
    this(id, name, type, intervalMs, timeoutMs, rise, fall, httpMethod, urlPath, expectedCodes, adminStateUp, tags,
        version, createdVersion, createdAt, updatedAt, "", "1.0");
  }

  public static HealthCheck defaults(String id, String parentId, long version, Instant now) {
    return new HealthCheck(id, "", HealthCheckType.TCP, 5_000, 2_000, 2, 3, "GET", "/", "200", true, List.of(),
        version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.HEALTH_CHECK;
  }

  @Override
  public void check(Check c, Child before) {
    Validation.duration(c, "health_check.interval", intervalMs, Validation.MIN_INTERVAL_MS, Validation.MAX_INTERVAL_MS);
    Validation.duration(c, "health_check.timeout", timeoutMs, Validation.MIN_PROBE_TIMEOUT_MS,
        Validation.MAX_INTERVAL_MS);
    c.rule(timeoutMs < intervalMs, "health_check.timeout",
        "must be shorter than interval (" + Durations.formatMillis(intervalMs) + "), got "
            + Durations.formatMillis(timeoutMs));
    c.rule(rise >= 1 && rise <= 10, "health_check.rise", "must be 1..10, got " + rise);
    c.rule(fall >= 1 && fall <= 10, "health_check.fall", "must be 1..10, got " + fall);
    c.rule(Validation.HTTP_METHODS.contains(httpMethod), "health_check.http_method",
        "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT, TRACE, got '" + httpMethod + "'");
    c.rule(urlPath.startsWith("/") && urlPath.length() <= 2048 && urlPath.chars().noneMatch(ch -> ch <= ' '),
        "health_check.url_path", "must start with / and hold no spaces (at most 2048 characters), got '" + urlPath + "'");
    c.rule(Validation.isExpectedCodes(expectedCodes), "health_check.expected_codes",
        "must be like 200, 200,204 or 200-299 (codes 100..599), got '" + expectedCodes + "'");
    c.rule(HTTP_VERSIONS.contains(httpVersion), "health_check.http_version",
        "must be 1.0 or 1.1, got '" + httpVersion + "'");
    if (!domainName.isEmpty()) {
      c.rule(type.http(), "health_check.domain_name", "applies to HTTP and HTTPS checks only, not " + type);
      c.rule(domainName.length() <= 255 && Validation.isHostname(domainName), "health_check.domain_name",
          "must be a host name like www.example.com, got '" + domainName + "'");
      c.rule(httpVersion.equals("1.1"), "health_check.domain_name",
          "needs http_version 1.1 (HTTP/1.0 has no Host header), got " + httpVersion);
    }
  }

  @Override
  public Optional<Rejection> checkTree(Tree tree, Child before) {
    for (Child other : tree.children().values()) {
      if (other instanceof Pool p && p.healthCheckId().equals(id) && !type.probes(p.protocol())) {
        return Optional.of(Rejection.precondition("health_check.type: " + type + " cannot probe " + p.protocol()
            + " pool " + p.id() + ", which uses this health check (" + Pool.checksFor(p.protocol()) + ")"));
      }
    }
    return Optional.empty();
  }

  public record Patch(
      String name,
      HealthCheckType type,
      Long intervalMs,
      Long timeoutMs,
      Integer rise,
      Integer fall,
      String httpMethod,
      String urlPath,
      String expectedCodes,
      Boolean adminStateUp,
      List<String> tags,
      String domainName,
      String httpVersion)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null, null, null, null, null);

    /** A patch of the fields a health check had before issue 12. */
    public Patch(String name, HealthCheckType type, Long intervalMs, Long timeoutMs, Integer rise, Integer fall,
        String httpMethod, String urlPath, String expectedCodes, Boolean adminStateUp, List<String> tags) {
      this(name, type, intervalMs, timeoutMs, rise, fall, httpMethod, urlPath, expectedCodes, adminStateUp, tags,
          null, null);
    }

    @Override
    public Kind kind() {
      return Kind.HEALTH_CHECK;
    }

    @Override
    public List<String> missingForCreate() {
      return ChildPatch.missing(Kind.HEALTH_CHECK, "type", type);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (HealthCheck) base;
      return new HealthCheck(b.id(), or(name, b.name()), or(type, b.type()), or(intervalMs, b.intervalMs()),
          or(timeoutMs, b.timeoutMs()), or(rise, b.rise()), or(fall, b.fall()), or(httpMethod, b.httpMethod()),
          or(urlPath, b.urlPath()), or(expectedCodes, b.expectedCodes()), or(adminStateUp, b.adminStateUp()),
          or(tags, b.tags()), version, b.createdVersion(), b.createdAt(), now, or(domainName, b.domainName()),
          or(httpVersion, b.httpVersion()));
    }
  }
}
