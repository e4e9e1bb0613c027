package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.fiberlb.controlplane.model.Enums.HealthCheckType;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.LbAlgorithm;
import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.controlplane.model.Enums.SessionPersistenceType;
import io.fiberlb.controlplane.model.Validation.Check;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A pool: a set of backends and the algorithm that picks one of them for each connection (or request).
 *
 * @param cookieName APP_COOKIE: the application's cookie that keeps a client on its backend; empty otherwise (added
 *     with issue 12: absent from older events, read as empty)
 */
public record Pool(
    String id,
    String name,
    String description,
    Protocol protocol,
    LbAlgorithm lbAlgorithm,
    SessionPersistenceType sessionPersistence,
    long sessionPersistenceTimeoutMs,
    String healthCheckId,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt,
    String cookieName)
    implements Child {

  @JsonCreator
  public Pool {
    cookieName = cookieName == null ? "" : cookieName;
  }

  /** A pool without an application cookie (the shape before issue 12). */
  public Pool(String id, String name, String description, Protocol protocol, LbAlgorithm lbAlgorithm,
      SessionPersistenceType sessionPersistence, long sessionPersistenceTimeoutMs, String healthCheckId,
      boolean adminStateUp, List<String> tags, long version, long createdVersion, Instant createdAt,
      Instant updatedAt) {
    this(id, name, description, protocol, lbAlgorithm, sessionPersistence, sessionPersistenceTimeoutMs,
        healthCheckId, adminStateUp, tags, version, createdVersion, createdAt, updatedAt, "");
  }

  public static Pool defaults(String id, String parentId, long version, Instant now) {
    return new Pool(id, "", "", Protocol.TCP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 3_600_000, "",
        true, List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.POOL;
  }

  /** The pool protocols a listener of {@code listener} takes, for messages: "a UDP listener needs a UDP pool". */
  static String protocolsFor(Protocol listener) {
    List<Protocol> fit = listener.poolProtocols();
    if (fit.size() == 1) return "a " + listener + " listener needs a " + fit.get(0) + " pool";
    String names = fit.stream().map(Enum::name).collect(Collectors.joining(", "));
    int last = names.lastIndexOf(", ");
    return "a " + listener + " listener takes " + names.substring(0, last) + " or " + names.substring(last + 2)
        + " pools";
  }

  /** The health check types a pool of {@code protocol} takes, for messages. */
  static String checksFor(Protocol protocol) {
    return protocol == Protocol.UDP ? "a UDP pool takes UDP_CONNECT"
        : "a " + protocol + " pool takes TCP, HTTP, HTTPS or TLS_HELLO";
  }

  // ------------------------------------------------------------------ rules

  @Override
  public void check(Check c, Child before) {
    Validation.text(c, "pool.description", description, Validation.MAX_DESCRIPTION);
    c.rule(protocol != Protocol.TERMINATED_HTTPS, "pool.protocol",
        "a pool is TCP, UDP, HTTP, PROXY or PROXYV2; TERMINATED_HTTPS listeners send to HTTP pools");
    if (before != null) {
      c.rule(((Pool) before).protocol() == protocol, "pool.protocol", "cannot be changed after create");
    }
    Validation.duration(c, "pool.session_persistence.timeout", sessionPersistenceTimeoutMs, 1000,
        Validation.MAX_TIMEOUT_MS);
    c.rule(!sessionPersistence.cookie() || protocol == Protocol.HTTP, "pool.session_persistence.type",
        sessionPersistence + " applies to HTTP pools only, not " + protocol);
    if (sessionPersistence == SessionPersistenceType.APP_COOKIE) {
      c.rule(!cookieName.isEmpty(), "pool.session_persistence.cookie_name", "is required with APP_COOKIE");
      c.rule(cookieName.isEmpty() || Validation.isToken(cookieName), "pool.session_persistence.cookie_name",
          "must be a cookie name (letters, digits and !#$%&'*+.^_`|~-, at most 255), got '" + cookieName + "'");
    } else {
      c.rule(cookieName.isEmpty(), "pool.session_persistence.cookie_name",
          "applies to APP_COOKIE only, not " + sessionPersistence);
    }
  }

  @Override
  public Optional<Rejection> checkTree(Tree tree, Child before) {
    if (healthCheckId.isEmpty()) return Optional.empty();
    Optional<Rejection> missing = tree.missing(Kind.HEALTH_CHECK, healthCheckId, "pool.health_check_id");
    if (missing.isPresent()) return missing;
    HealthCheckType type = ((HealthCheck) tree.children().get(healthCheckId)).type();
    if (!type.probes(protocol)) {
      return Optional.of(Rejection.precondition("pool.health_check_id: health check " + healthCheckId + " is "
          + type + ", which cannot probe a " + protocol + " pool (" + checksFor(protocol) + ")"));
    }
    return Optional.empty();
  }

  @Override
  public Optional<Rejection> holds(Child other) {
    if (other.kind() == Kind.HEALTH_CHECK && healthCheckId.equals(other.id())) {
      return Optional.of(Rejection.precondition("health check " + other.id() + " is used by pool " + id
          + "; change the pool's health_check_id or delete the pool first"));
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ patch

  public record Patch(
      String name,
      String description,
      Protocol protocol,
      LbAlgorithm lbAlgorithm,
      SessionPersistenceType sessionPersistence,
      Long sessionPersistenceTimeoutMs,
      String healthCheckId,
      Boolean adminStateUp,
      List<String> tags,
      String cookieName)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null, null, null, null);

    /** A patch of the fields a pool had before issue 12. */
    public Patch(String name, String description, Protocol protocol, LbAlgorithm lbAlgorithm,
        SessionPersistenceType sessionPersistence, Long sessionPersistenceTimeoutMs, String healthCheckId,
        Boolean adminStateUp, List<String> tags) {
      this(name, description, protocol, lbAlgorithm, sessionPersistence, sessionPersistenceTimeoutMs, healthCheckId,
          adminStateUp, tags, null);
    }

    @Override
    public Kind kind() {
      return Kind.POOL;
    }

    @Override
    public List<String> missingForCreate() {
      return List.of();
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Pool) base;
      SessionPersistenceType sp = or(sessionPersistence, b.sessionPersistence());
      // A cookie name belongs to APP_COOKIE: moving away from it without naming one drops the old name.
      String cookie = cookieName != null ? cookieName : sp == SessionPersistenceType.APP_COOKIE ? b.cookieName() : "";
      return new Pool(b.id(), or(name, b.name()), or(description, b.description()), or(protocol, b.protocol()),
          or(lbAlgorithm, b.lbAlgorithm()), sp, or(sessionPersistenceTimeoutMs, b.sessionPersistenceTimeoutMs()),
          or(healthCheckId, b.healthCheckId()), or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version,
          b.createdVersion(), b.createdAt(), now, cookie);
    }
  }
}
