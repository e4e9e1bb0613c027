package io.fiberlb.controlplane.model;

import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.port.ExpectedCodes;
import io.fiberlb.util.Addresses;
import io.fiberlb.util.Texts;
import io.fiberlb.util.Durations;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The field rules of every resource, as pure functions. Each answers the first broken rule as an INVALID_ARGUMENT
 * naming the field and the rule. Rules that need the rest of the tree (references, uniqueness) live in the
 * entity state, which has it.
 */
public final class Validation {
  private Validation() {}

  public static final int MAX_NAME = 255;
  public static final int MAX_DESCRIPTION = 255;
  public static final int MAX_TAGS = 50;
  public static final int MAX_TAG = 255;
  public static final int MAX_ALLOWED_CIDRS = 100;
  public static final int MAX_CONNECTION_LIMIT = 1_000_000;
  public static final long MAX_TIMEOUT_MS = 86_400_000L;
  public static final long MIN_INTERVAL_MS = 100;
  public static final long MAX_INTERVAL_MS = 3_600_000L;
  public static final long MIN_PROBE_TIMEOUT_MS = 10;
  public static final Set<String> HTTP_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE");

  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:~-]{1,128}");

  /** Collects the first broken rule. */
  private static final class Check {
    private Rejection first;

    Check rule(boolean ok, String field, String rule) {
      if (first == null && !ok) first = Rejection.invalid(field + ": " + rule);
      return this;
    }

    Optional<Rejection> result() {
      return Optional.ofNullable(first);
    }
  }

  // ------------------------------------------------------------------ shared shapes

  private static void text(Check c, String field, String value, int max) {
    c.rule(value.length() <= max, field, "must be at most " + max + " characters, got " + value.length());
    String unsafe = c.first == null ? Texts.firstUnsafe(value) : null;
    c.rule(unsafe == null, field, "must not contain control characters or bidirectional overrides, got " + unsafe);
  }

  private static void tags(Check c, String prefix, List<String> tags) {
    c.rule(tags.size() <= MAX_TAGS, prefix + ".tags", "at most " + MAX_TAGS + " tags, got " + tags.size());
    for (String t : tags) {
      c.rule(!t.isBlank(), prefix + ".tags", "a tag must not be empty");
      text(c, prefix + ".tags", t, MAX_TAG);
    }
  }

  private static void port(Check c, String field, int port) {
    c.rule(port >= 1 && port <= 65535, field, "must be 1..65535, got " + port);
  }

  private static void duration(Check c, String field, long ms, long min, long max) {
    c.rule(ms >= min && ms <= max, field,
        "must be " + Durations.formatMillis(min) + ".." + Durations.formatMillis(max) + ", got "
            + Durations.formatMillis(ms));
  }

  private static void served(Check c, String field, Protocol p) {
    c.rule(p == Protocol.TCP || p == Protocol.UDP, field, p + " is not supported yet; supported: TCP, UDP");
  }

  public static boolean isIpLiteral(String address) {
    return Addresses.ip(address).isPresent();
  }

  public static boolean isHostname(String address) {
    return Addresses.isHostname(address);
  }

  public static boolean isCidr(String cidr) {
    return Addresses.cidr(cidr).isPresent();
  }

  /** {@code "200"}, {@code "200,204"}, {@code "200-299"}: codes 100..599, ranges low to high. */
  public static boolean isExpectedCodes(String codes) {
    return ExpectedCodes.parse(codes).isPresent();
  }

  // ------------------------------------------------------------------ per resource

  public static Optional<Rejection> requestId(String requestId) {
    return new Check()
        .rule(requestId.isEmpty() || REQUEST_ID.matcher(requestId).matches(), "request_id",
            "must be 1..128 characters of A-Z a-z 0-9 . _ : ~ -")
        .result();
  }

  public static Optional<Rejection> loadBalancer(LoadBalancerInfo lb) {
    var c = new Check();
    c.rule(!lb.name().isBlank(), "load_balancer.name", "is required");
    text(c, "load_balancer.name", lb.name(), MAX_NAME);
    text(c, "load_balancer.description", lb.description(), MAX_DESCRIPTION);
    tags(c, "load_balancer", lb.tags());
    return c.result();
  }

  /** Field rules of a child; {@code before} is the current record on update, null on create. */
  public static Optional<Rejection> child(Child candidate, Child before) {
    var c = new Check();
    String k = candidate.kind().field;
    text(c, k + ".name", candidate.name(), MAX_NAME);
    tags(c, k, candidate.tags());
    if (candidate instanceof Listener l) listener(c, l, (Listener) before);
    else if (candidate instanceof Pool p) pool(c, p, (Pool) before);
    else if (candidate instanceof Backend b) backend(c, b);
    else if (candidate instanceof HealthCheck h) healthCheck(c, h);
    return c.result();
  }

  private static void listener(Check c, Listener l, Listener before) {
    text(c, "listener.description", l.description(), MAX_DESCRIPTION);
    served(c, "listener.protocol", l.protocol());
    if (before != null) {
      c.rule(before.protocol() == l.protocol(), "listener.protocol", "cannot be changed after create");
    }
    port(c, "listener.protocol_port", l.protocolPort());
    c.rule(l.connectionLimit() == Listener.UNLIMITED || (l.connectionLimit() >= 1 && l.connectionLimit() <= MAX_CONNECTION_LIMIT),
        "listener.connection_limit", "must be -1 (unlimited) or 1.." + MAX_CONNECTION_LIMIT + ", got " + l.connectionLimit());
    duration(c, "listener.timeout_client_idle", l.timeoutClientIdleMs(), 1, MAX_TIMEOUT_MS);
    duration(c, "listener.timeout_backend_connect", l.timeoutBackendConnectMs(), 1, MAX_TIMEOUT_MS);
    duration(c, "listener.timeout_backend_idle", l.timeoutBackendIdleMs(), 1, MAX_TIMEOUT_MS);
    c.rule(l.allowedCidrs().size() <= MAX_ALLOWED_CIDRS, "listener.allowed_cidrs",
        "at most " + MAX_ALLOWED_CIDRS + " entries, got " + l.allowedCidrs().size());
    for (String cidr : l.allowedCidrs()) {
      c.rule(isCidr(cidr), "listener.allowed_cidrs", "must be CIDRs like 10.0.0.0/8 or 2001:db8::/32, got '" + cidr + "'");
    }
  }

  private static void pool(Check c, Pool p, Pool before) {
    text(c, "pool.description", p.description(), MAX_DESCRIPTION);
    served(c, "pool.protocol", p.protocol());
    if (before != null) {
      c.rule(before.protocol() == p.protocol(), "pool.protocol", "cannot be changed after create");
    }
    duration(c, "pool.session_persistence.timeout", p.sessionPersistenceTimeoutMs(), 1000, MAX_TIMEOUT_MS);
  }

  private static void backend(Check c, Backend b) {
    Optional<String> address = Addresses.backendProblem(b.address());
    c.rule(address.isEmpty(), "backend.address", address.orElse(""));
    port(c, "backend.protocol_port", b.protocolPort());
    c.rule(b.weight() >= 0 && b.weight() <= Backend.MAX_WEIGHT, "backend.weight",
        "must be 0.." + Backend.MAX_WEIGHT + " (0 drains the backend), got " + b.weight());
    c.rule(b.monitorPort() >= 0 && b.monitorPort() <= 65535, "backend.monitor_port",
        "must be 1..65535, or 0 to probe protocol_port, got " + b.monitorPort());
  }

  private static void healthCheck(Check c, HealthCheck h) {
    duration(c, "health_check.interval", h.intervalMs(), MIN_INTERVAL_MS, MAX_INTERVAL_MS);
    duration(c, "health_check.timeout", h.timeoutMs(), MIN_PROBE_TIMEOUT_MS, MAX_INTERVAL_MS);
    c.rule(h.timeoutMs() < h.intervalMs(), "health_check.timeout",
        "must be shorter than interval (" + Durations.formatMillis(h.intervalMs()) + "), got "
            + Durations.formatMillis(h.timeoutMs()));
    c.rule(h.rise() >= 1 && h.rise() <= 10, "health_check.rise", "must be 1..10, got " + h.rise());
    c.rule(h.fall() >= 1 && h.fall() <= 10, "health_check.fall", "must be 1..10, got " + h.fall());
    c.rule(HTTP_METHODS.contains(h.httpMethod()), "health_check.http_method",
        "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, CONNECT, TRACE, got '" + h.httpMethod() + "'");
    c.rule(h.urlPath().startsWith("/") && h.urlPath().length() <= 2048 && h.urlPath().chars().noneMatch(ch -> ch <= ' '),
        "health_check.url_path", "must start with / and hold no spaces (at most 2048 characters), got '" + h.urlPath() + "'");
    c.rule(isExpectedCodes(h.expectedCodes()), "health_check.expected_codes",
        "must be like 200, 200,204 or 200-299 (codes 100..599), got '" + h.expectedCodes() + "'");
  }
}
