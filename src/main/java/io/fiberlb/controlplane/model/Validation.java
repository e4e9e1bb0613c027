package io.fiberlb.controlplane.model;

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

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:~-]{1,128}");

  /** Collects the first broken rule. */
  public static final class Check {
    private Rejection first;

    Check() {}

    public Check rule(boolean ok, String field, String rule) {
      if (first == null && !ok) first = Rejection.invalid(field + ": " + rule);
      return this;
    }

    /** Whether a rule is broken already (later rules that would only repeat it can be skipped). */
    boolean failed() {
      return first != null;
    }

    Optional<Rejection> result() {
      return Optional.ofNullable(first);
    }
  }

  // ------------------------------------------------------------------ shared shapes

  static void text(Check c, String field, String value, int max) {
    c.rule(value.length() <= max, field, "must be at most " + max + " characters, got " + value.length());
    String unsafe = c.first == null ? Texts.firstUnsafe(value) : null;
    c.rule(unsafe == null, field, "must not contain control characters or bidirectional overrides, got " + unsafe);
  }

  static void tags(Check c, String prefix, List<String> tags) {
    c.rule(tags.size() <= MAX_TAGS, prefix + ".tags", "at most " + MAX_TAGS + " tags, got " + tags.size());
    for (String t : tags) {
      c.rule(!t.isBlank(), prefix + ".tags", "a tag must not be empty");
      text(c, prefix + ".tags", t, MAX_TAG);
    }
  }

  static void port(Check c, String field, int port) {
    c.rule(port >= 1 && port <= 65535, field, "must be 1..65535, got " + port);
  }

  static void duration(Check c, String field, long ms, long min, long max) {
    c.rule(ms >= min && ms <= max, field,
        "must be " + Durations.formatMillis(min) + ".." + Durations.formatMillis(max) + ", got "
            + Durations.formatMillis(ms));
  }

  /** A client-chosen name of a header or cookie: an RFC 9110 token. */
  static boolean isToken(String s) {
    return !s.isEmpty() && s.length() <= 255 && TOKEN.matcher(s).matches();
  }

  /** A reference to another resource: empty, or an id. */
  static void ref(Check c, String field, String value) {
    c.rule(value.isEmpty() || ID.matcher(value).matches(), field, "must be an id (a UUID), got '" + value + "'");
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

  /**
   * Field rules of a child; {@code before} is the current record on update, null on create. The rules shared by
   * every kind are here; each kind adds its own ({@link Child#check}).
   */
  public static Optional<Rejection> child(Child candidate, Child before) {
    var c = new Check();
    String k = candidate.kind().field;
    text(c, k + ".name", candidate.name(), MAX_NAME);
    tags(c, k, candidate.tags());
    candidate.check(c, before);
    return c.result();
  }
}
