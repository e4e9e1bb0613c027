package io.fiberlb.controlplane.model;

/**
 * Domain enums. They mirror the wire enums by name but are owned here: events store these names for good,
 * so a rename on the wire never breaks replay of the journal.
 */
public final class Enums {
  private Enums() {}

  /**
   * TCP, UDP, HTTP and TERMINATED_HTTPS are listener and pool protocols (a pool is never TERMINATED_HTTPS); PROXY
   * and PROXYV2 are pool protocols only (Octavia's names): the connection to a backend starts with a PROXY protocol
   * v1 or v2 header carrying the client's address.
   */
  public enum Protocol {
    TCP, UDP, HTTP, TERMINATED_HTTPS, PROXY, PROXYV2;

    /** Whether a listener of this protocol speaks HTTP to clients (L7 policies, insert_headers). */
    public boolean http() {
      return this == HTTP || this == TERMINATED_HTTPS;
    }

    /**
     * The pool protocols a listener of this protocol may send to, as Octavia's VALID_LISTENER_POOL_PROTOCOL_MAP
     * has them (without HTTPS pools, which FiberLB does not have): a TCP listener proxies bytes to TCP, HTTP or
     * PROXY pools; HTTP and TERMINATED_HTTPS listeners to HTTP or PROXY pools; UDP to UDP.
     */
    public java.util.List<Protocol> poolProtocols() {
      return switch (this) {
        case TCP -> java.util.List.of(TCP, HTTP, PROXY, PROXYV2);
        case HTTP, TERMINATED_HTTPS -> java.util.List.of(HTTP, PROXY, PROXYV2);
        case UDP -> java.util.List.of(UDP);
        case PROXY, PROXYV2 -> java.util.List.of();
      };
    }

    /** The transport a listener of this protocol binds: its port is unique per transport on a load balancer. */
    public boolean datagram() {
      return this == UDP;
    }
  }

  public enum LbAlgorithm {
    ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT, MAGLEV, RANDOM_TWO_CHOICES
  }

  /** HTTP_COOKIE: FiberLB sets a cookie naming the backend; APP_COOKIE follows the application's cookie_name. */
  public enum SessionPersistenceType {
    NONE, SOURCE_IP, HTTP_COOKIE, APP_COOKIE;

    public boolean cookie() {
      return this == HTTP_COOKIE || this == APP_COOKIE;
    }
  }

  /** Whether a TERMINATED_HTTPS listener asks clients for a certificate, and refuses those without one. */
  public enum ClientAuthentication { NONE, OPTIONAL, MANDATORY }

  public enum HealthCheckType {
    TCP, HTTP, UDP_CONNECT, HTTPS, TLS_HELLO;

    /** Whether this check sends an HTTP request (domain_name, http_version, http_method, url_path apply). */
    public boolean http() {
      return this == HTTP || this == HTTPS;
    }

    /** Whether this check can probe the backends of a pool of {@code protocol}: UDP_CONNECT for UDP, the rest TCP. */
    public boolean probes(Protocol protocol) {
      return (this == UDP_CONNECT) == (protocol == Protocol.UDP);
    }
  }

  public enum ProvisioningStatus { ACTIVE, PENDING_CREATE, PENDING_UPDATE, PENDING_DELETE, DELETED, ERROR }

  public enum OperatingStatus { ONLINE, OFFLINE, DEGRADED, ERROR, NO_MONITOR, DRAINING }

  /** What a matching L7 policy does with the request. */
  public enum L7Action { REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX, REDIRECT_TO_POOL }

  /** Which part of a request an L7 rule looks at. */
  public enum L7RuleType { HOST_NAME, PATH, FILE_TYPE, HEADER, COOKIE }

  /** How an L7 rule compares that part with its value. */
  public enum L7CompareType { EQUAL_TO, STARTS_WITH, ENDS_WITH, CONTAINS, REGEX }

  /**
   * The kinds of child resource a load balancer owns, and for each what the generic code needs to know: its names,
   * its parent (a backend lives in a pool, an L7 policy in a listener, an L7 rule in a policy: created under it,
   * deleted with it), its defaults and its empty patch. Everything else about a kind is in its record's file.
   */
  public enum Kind {
    LISTENER("listener", "Listener", null, "", Listener::defaults, () -> Listener.Patch.EMPTY),
    POOL("pool", "Pool", null, "", Pool::defaults, () -> Pool.Patch.EMPTY),
    BACKEND("backend", "Backend", POOL, "pool_id", Backend::defaults, () -> Backend.Patch.EMPTY),
    HEALTH_CHECK("health_check", "HealthCheck", null, "", HealthCheck::defaults, () -> HealthCheck.Patch.EMPTY),
    L7_POLICY("l7policy", "L7Policy", LISTENER, "listener_id", L7Policy::defaults, () -> L7Policy.Patch.EMPTY),
    L7_RULE("l7rule", "L7Rule", L7_POLICY, "l7policy_id", L7Rule::defaults, () -> L7Rule.Patch.EMPTY);

    /** The name used in error messages and on the wire ({@code listener.protocol_port}). */
    public final String field;
    /** The name in commands and event types: {@code CreateHealthCheck}, {@code HealthCheckUpdated}. */
    public final String typeName;
    /** The kind this one is created under and deleted with; null for the kinds that hang off the load balancer. */
    public final Kind parent;
    /** The request field naming the parent ({@code pool_id}); empty without a parent. */
    public final String parentField;
    private final Defaults defaults;
    private final java.util.function.Supplier<ChildPatch> empty;

    /** A new record of the kind with every field at its default. */
    @FunctionalInterface
    public interface Defaults {
      Child of(String id, String parentId, long version, java.time.Instant now);
    }

    Kind(String field, String typeName, Kind parent, String parentField, Defaults defaults,
        java.util.function.Supplier<ChildPatch> empty) {
      this.field = field;
      this.typeName = typeName;
      this.parent = parent;
      this.parentField = parentField;
      this.defaults = defaults;
      this.empty = empty;
    }

    /** The kind's defaults, the base a create applies its patch onto. */
    public Child defaults(String id, String parentId, long version, java.time.Instant now) {
      return defaults.of(id, parentId, version, now);
    }

    /** A patch that sets nothing: applying it only restamps version and updatedAt. */
    public ChildPatch emptyPatch() {
      return empty.get();
    }

    /** "health check" rather than "health_check", for sentences. */
    public String noun() {
      return switch (this) {
        case L7_POLICY -> "L7 policy";
        case L7_RULE -> "L7 rule";
        default -> field.replace('_', ' ');
      };
    }
  }
}
