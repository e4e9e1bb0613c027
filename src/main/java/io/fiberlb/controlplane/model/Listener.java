package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.fiberlb.controlplane.model.Enums.ClientAuthentication;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.controlplane.model.Validation.Check;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A listener: the VIP port a load balancer accepts connections on, and where they go.
 *
 * @param insertHeaders HTTP and TERMINATED_HTTPS: headers added to requests, by name, "true" or "false"
 * @param defaultTlsContainerRef TERMINATED_HTTPS: the id of the certificate served by default
 * @param sniContainerRefs TERMINATED_HTTPS: ids of certificates served by SNI name
 * @param tlsCiphers TERMINATED_HTTPS: an OpenSSL cipher list ("A:B:C"); empty for the provider's defaults
 * @param acceptProxyProtocol each client connection starts with a PROXY protocol header (v1 or v2)
 *
 * <p>The fields from {@code insertHeaders} on were added with L7 (issue 12): absent from older events, read as
 * their defaults (none, empty, NONE, false).
 */
public record Listener(
    String id,
    String name,
    String description,
    Protocol protocol,
    int protocolPort,
    String defaultPoolId,
    int connectionLimit,
    long timeoutClientIdleMs,
    long timeoutBackendConnectMs,
    long timeoutBackendIdleMs,
    List<String> allowedCidrs,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt,
    Map<String, String> insertHeaders,
    String defaultTlsContainerRef,
    List<String> sniContainerRefs,
    List<String> tlsVersions,
    String tlsCiphers,
    List<String> alpnProtocols,
    String clientCaTlsContainerRef,
    ClientAuthentication clientAuthentication,
    boolean acceptProxyProtocol)
    implements Child {

  public static final int UNLIMITED = -1;
  /** Octavia's insert_headers FiberLB adds (the X-SSL-* ones, of the client certificate, on TERMINATED_HTTPS only). */
  public static final List<String> INSERT_HEADERS = List.of("X-Forwarded-For", "X-Forwarded-Port",
      "X-Forwarded-Proto", "X-Request-Id", "X-SSL-Client-Verify", "X-SSL-Client-Has-Cert", "X-SSL-Client-DN",
      "X-SSL-Client-CN", "X-SSL-Issuer", "X-SSL-Client-SHA1", "X-SSL-Client-Not-Before", "X-SSL-Client-Not-After");
  public static final Set<String> TLS_VERSIONS = Set.of("TLSv1.2", "TLSv1.3");
  public static final Set<String> ALPN_PROTOCOLS = Set.of("h2", "http/1.1", "http/1.0");
  private static final Pattern CIPHERS = Pattern.compile("[A-Za-z0-9_+-]+(:[A-Za-z0-9_+-]+)*");

  @JsonCreator
  public Listener {
    insertHeaders = insertHeaders == null ? Map.of() : Map.copyOf(insertHeaders);
    defaultTlsContainerRef = defaultTlsContainerRef == null ? "" : defaultTlsContainerRef;
    sniContainerRefs = sniContainerRefs == null ? List.of() : List.copyOf(sniContainerRefs);
    tlsVersions = tlsVersions == null ? List.of() : List.copyOf(tlsVersions);
    tlsCiphers = tlsCiphers == null ? "" : tlsCiphers;
    alpnProtocols = alpnProtocols == null ? List.of() : List.copyOf(alpnProtocols);
    clientCaTlsContainerRef = clientCaTlsContainerRef == null ? "" : clientCaTlsContainerRef;
    clientAuthentication = clientAuthentication == null ? ClientAuthentication.NONE : clientAuthentication;
  }

  /** A listener without L7 or TLS settings (the shape before issue 12). */
  public Listener(String id, String name, String description, Protocol protocol, int protocolPort,
      String defaultPoolId, int connectionLimit, long timeoutClientIdleMs, long timeoutBackendConnectMs,
      long timeoutBackendIdleMs, List<String> allowedCidrs, boolean adminStateUp, List<String> tags, long version,
      long createdVersion, Instant createdAt, Instant updatedAt) {
    this(id, name, description, protocol, protocolPort, defaultPoolId, connectionLimit, timeoutClientIdleMs,
        timeoutBackendConnectMs, timeoutBackendIdleMs, allowedCidrs, adminStateUp, tags, version, createdVersion,
        createdAt, updatedAt, null, null, null, null, null, null, null, null, false);
  }

  /** Defaults as Octavia has them: unlimited connections, 50 s idle timeouts, 5 s connect timeout. */
  public static Listener defaults(String id, String parentId, long version, Instant now) {
    return new Listener(id, "", "", Protocol.TCP, 0, "", UNLIMITED, 50_000, 5_000, 50_000, List.of(), true,
        List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.LISTENER;
  }

  // ------------------------------------------------------------------ rules

  @Override
  public void check(Check c, Child before) {
    Validation.text(c, "listener.description", description, Validation.MAX_DESCRIPTION);
    c.rule(protocol != Protocol.PROXY && protocol != Protocol.PROXYV2, "listener.protocol",
        protocol + " is a pool protocol; a listener is TCP, UDP, HTTP or TERMINATED_HTTPS");
    if (before != null) {
      c.rule(((Listener) before).protocol() == protocol, "listener.protocol", "cannot be changed after create");
    }
    Validation.port(c, "listener.protocol_port", protocolPort);
    c.rule(connectionLimit == UNLIMITED || (connectionLimit >= 1 && connectionLimit <= Validation.MAX_CONNECTION_LIMIT),
        "listener.connection_limit", "must be -1 (unlimited) or 1.." + Validation.MAX_CONNECTION_LIMIT + ", got "
            + connectionLimit);
    Validation.duration(c, "listener.timeout_client_idle", timeoutClientIdleMs, 1, Validation.MAX_TIMEOUT_MS);
    Validation.duration(c, "listener.timeout_backend_connect", timeoutBackendConnectMs, 1, Validation.MAX_TIMEOUT_MS);
    Validation.duration(c, "listener.timeout_backend_idle", timeoutBackendIdleMs, 1, Validation.MAX_TIMEOUT_MS);
    c.rule(allowedCidrs.size() <= Validation.MAX_ALLOWED_CIDRS, "listener.allowed_cidrs",
        "at most " + Validation.MAX_ALLOWED_CIDRS + " entries, got " + allowedCidrs.size());
    for (String cidr : allowedCidrs) {
      c.rule(Validation.isCidr(cidr), "listener.allowed_cidrs",
          "must be CIDRs like 10.0.0.0/8 or 2001:db8::/32, got '" + cidr + "'");
    }
    checkHttp(c);
    checkTls(c);
    c.rule(!acceptProxyProtocol || protocol != Protocol.UDP, "listener.accept_proxy_protocol",
        "applies to TCP, HTTP and TERMINATED_HTTPS listeners, not UDP");
  }

  private void checkHttp(Check c) {
    c.rule(insertHeaders.isEmpty() || protocol.http(), "listener.insert_headers",
        "applies to HTTP and TERMINATED_HTTPS listeners only, not " + protocol);
    for (var e : insertHeaders.entrySet()) {
      c.rule(INSERT_HEADERS.contains(e.getKey()), "listener.insert_headers",
          "must be among " + String.join(", ", INSERT_HEADERS) + ", got '" + e.getKey() + "'");
      c.rule(!e.getKey().startsWith("X-SSL-") || protocol == Protocol.TERMINATED_HTTPS, "listener.insert_headers",
          e.getKey() + " (of the client certificate) applies to TERMINATED_HTTPS listeners only, not " + protocol);
      c.rule(e.getValue().equals("true") || e.getValue().equals("false"), "listener.insert_headers",
          e.getKey() + " must be \"true\" or \"false\", got '" + e.getValue() + "'");
    }
  }

  private void checkTls(Check c) {
    if (protocol != Protocol.TERMINATED_HTTPS) {
      String set = !defaultTlsContainerRef.isEmpty() ? "default_tls_container_ref"
          : !sniContainerRefs.isEmpty() ? "sni_container_refs"
          : !tlsVersions.isEmpty() ? "tls_versions"
          : !tlsCiphers.isEmpty() ? "tls_ciphers"
          : !alpnProtocols.isEmpty() ? "alpn_protocols"
          : !clientCaTlsContainerRef.isEmpty() ? "client_ca_tls_container_ref"
          : clientAuthentication != ClientAuthentication.NONE ? "client_authentication" : null;
      c.rule(set == null, "listener." + set, "applies to TERMINATED_HTTPS listeners only, not " + protocol);
      return;
    }
    c.rule(!defaultTlsContainerRef.isEmpty(), "listener.default_tls_container_ref",
        "is required on a TERMINATED_HTTPS listener (the id of a certificate)");
    Validation.ref(c, "listener.default_tls_container_ref", defaultTlsContainerRef);
    c.rule(sniContainerRefs.size() <= 50, "listener.sni_container_refs", "at most 50, got " + sniContainerRefs.size());
    for (String ref : sniContainerRefs) {
      c.rule(!ref.isEmpty(), "listener.sni_container_refs", "an entry must not be empty");
      Validation.ref(c, "listener.sni_container_refs", ref);
    }
    for (String v : tlsVersions) {
      c.rule(TLS_VERSIONS.contains(v), "listener.tls_versions", "must be TLSv1.2 or TLSv1.3, got '" + v + "'");
    }
    c.rule(tlsCiphers.isEmpty() || (tlsCiphers.length() <= 2048 && CIPHERS.matcher(tlsCiphers).matches()),
        "listener.tls_ciphers", "must be an OpenSSL cipher list like ECDHE-ECDSA-AES128-GCM-SHA256:"
            + "ECDHE-RSA-AES128-GCM-SHA256, got '" + tlsCiphers + "'");
    for (String a : alpnProtocols) {
      c.rule(ALPN_PROTOCOLS.contains(a), "listener.alpn_protocols", "must be h2, http/1.1 or http/1.0, got '" + a + "'");
    }
    Validation.ref(c, "listener.client_ca_tls_container_ref", clientCaTlsContainerRef);
    c.rule(clientAuthentication == ClientAuthentication.NONE || !clientCaTlsContainerRef.isEmpty(),
        "listener.client_authentication", clientAuthentication + " needs client_ca_tls_container_ref (the CA that"
            + " client certificates must chain to)");
  }

  @Override
  public Optional<Rejection> checkTree(Tree tree, Child before) {
    for (Child other : tree.children().values()) {
      // One listener per (transport, port): a TCP and a UDP listener may share a port number, as in Octavia.
      if (other instanceof Listener o && !o.id().equals(id) && o.protocolPort() == protocolPort
          && o.protocol().datagram() == protocol.datagram()) {
        return Optional.of(Rejection.exists("listener.protocol_port: port " + protocolPort
            + " is already used by listener " + o.id() + " on this load balancer ("
            + (protocol.datagram() ? "UDP" : "TCP") + ")"));
      }
    }
    if (defaultPoolId.isEmpty()) return Optional.empty();
    Optional<Rejection> missing = tree.missing(Kind.POOL, defaultPoolId, "listener.default_pool_id");
    if (missing.isPresent()) return missing;
    Protocol pp = ((Pool) tree.children().get(defaultPoolId)).protocol();
    if (!protocol.poolProtocols().contains(pp)) { // Octavia: ListenerPoolProtocolMismatch, 409
      return Optional.of(Rejection.precondition("listener.default_pool_id: pool " + defaultPoolId + " is a " + pp
          + " pool; " + Pool.protocolsFor(protocol)));
    }
    return Optional.empty();
  }

  @Override
  public Optional<Rejection> holds(Child other) {
    if (other.kind() == Kind.POOL && defaultPoolId.equals(other.id())) {
      return Optional.of(Rejection.precondition("pool " + other.id() + " is the default pool of listener " + id
          + "; change the listener's default_pool_id or delete the listener first"));
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ patch

  public record Patch(
      String name,
      String description,
      Protocol protocol,
      Integer protocolPort,
      String defaultPoolId,
      Integer connectionLimit,
      Long timeoutClientIdleMs,
      Long timeoutBackendConnectMs,
      Long timeoutBackendIdleMs,
      List<String> allowedCidrs,
      Boolean adminStateUp,
      List<String> tags,
      Map<String, String> insertHeaders,
      String defaultTlsContainerRef,
      List<String> sniContainerRefs,
      List<String> tlsVersions,
      String tlsCiphers,
      List<String> alpnProtocols,
      String clientCaTlsContainerRef,
      ClientAuthentication clientAuthentication,
      Boolean acceptProxyProtocol)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null, null, null, null, null,
        null);

    /** A patch of the fields a listener had before issue 12. */
    public Patch(String name, String description, Protocol protocol, Integer protocolPort, String defaultPoolId,
        Integer connectionLimit, Long timeoutClientIdleMs, Long timeoutBackendConnectMs, Long timeoutBackendIdleMs,
        List<String> allowedCidrs, Boolean adminStateUp, List<String> tags) {
      this(name, description, protocol, protocolPort, defaultPoolId, connectionLimit, timeoutClientIdleMs,
          timeoutBackendConnectMs, timeoutBackendIdleMs, allowedCidrs, adminStateUp, tags, null, null, null, null,
          null, null, null, null, null);
    }

    @Override
    public Kind kind() {
      return Kind.LISTENER;
    }

    @Override
    public List<String> missingForCreate() {
      return ChildPatch.missing(Kind.LISTENER, "protocol_port", protocolPort);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Listener) base;
      return new Listener(b.id(), or(name, b.name()), or(description, b.description()), or(protocol, b.protocol()),
          or(protocolPort, b.protocolPort()), or(defaultPoolId, b.defaultPoolId()),
          or(connectionLimit, b.connectionLimit()), or(timeoutClientIdleMs, b.timeoutClientIdleMs()),
          or(timeoutBackendConnectMs, b.timeoutBackendConnectMs()), or(timeoutBackendIdleMs, b.timeoutBackendIdleMs()),
          or(allowedCidrs, b.allowedCidrs()), or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version,
          b.createdVersion(), b.createdAt(), now, or(insertHeaders, b.insertHeaders()),
          or(defaultTlsContainerRef, b.defaultTlsContainerRef()), or(sniContainerRefs, b.sniContainerRefs()),
          or(tlsVersions, b.tlsVersions()), or(tlsCiphers, b.tlsCiphers()), or(alpnProtocols, b.alpnProtocols()),
          or(clientCaTlsContainerRef, b.clientCaTlsContainerRef()), or(clientAuthentication, b.clientAuthentication()),
          or(acceptProxyProtocol, b.acceptProxyProtocol()));
    }
  }
}
