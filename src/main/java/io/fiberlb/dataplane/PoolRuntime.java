package io.fiberlb.dataplane;

import io.fiberlb.dataplane.balance.AffinityTable;
import io.fiberlb.dataplane.balance.Algorithm;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.balance.PoolBalancer;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.SessionPersistenceType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One pool as the listeners use it: the balancer (an immutable snapshot swapped on change) and, by endpoint key,
 * which backend an endpoint is, its counters and its health monitor. Written only by the load balancer's runtime
 * actor; read lock-free by connection streams.
 */
public final class PoolRuntime {
  /** Session-affinity entries kept per pool at most; the oldest go first beyond it. */
  static final int AFFINITY_CAPACITY = 100_000;

  /**
   * One backend behind an endpoint key. {@code monitor} is null when the pool has no health check; {@code address}
   * is where to connect, worked out once here rather than on every connection.
   */
  public record Slot(String backendId, TrafficCounters counters, ActorRef<HealthMonitor.Command> monitor,
      java.net.InetSocketAddress address) {}

  final String poolId;
  final LbAlgorithm algorithm;
  final SessionPersistenceType persistence;
  final long persistenceTimeoutMs;
  /** How backend connections start: PROXY/PROXYV2 send a PROXY protocol header first (ProxyHeader). */
  final io.fiberlb.port.Protocol protocol;
  final PoolBalancer balancer;
  final String cookieName;
  volatile Map<String, Slot> slots = Map.of();
  /** HTTP_COOKIE: the cookie values of the current slots, rebuilt when the slots change. */
  private volatile CookieIndex cookieIndex;
  /** APP_COOKIE: application cookie value to the endpoint key it was seen with; null for other persistence types. */
  private final io.fiberlb.dataplane.l7.AppCookieTable appCookies;

  private record CookieIndex(Map<String, Slot> of, Map<String, String> keyByCookie, Map<String, String> cookieByBackend) {}

  /** Prefix of FiberLB's own persistence cookie (HTTP_COOKIE); the pool id's hash follows. */
  public static final String HTTP_COOKIE_PREFIX = "FIBERLB_";
  private static final long SEED_COOKIE = 0x636f6f6b69657631L; // "cookiev1"
  /** HTTP_COOKIE: this pool's cookie name, so that pools behind one host do not clash. */
  private final String httpCookieName;

  PoolRuntime(DesiredPool pool, List<Endpoint> endpoints) {
    this.poolId = pool.id();
    this.httpCookieName = HTTP_COOKIE_PREFIX + String.format("%08x",
        (int) io.fiberlb.balance.Hashing.hash64(poolId.getBytes(java.nio.charset.StandardCharsets.UTF_8), SEED_COOKIE));
    this.algorithm = pool.lbAlgorithm();
    this.persistence = pool.sessionPersistence();
    this.persistenceTimeoutMs = pool.sessionPersistenceTimeoutMs();
    this.protocol = pool.protocol();
    this.cookieName = pool.cookieName();
    this.appCookies = persistence == SessionPersistenceType.APP_COOKIE
        ? new io.fiberlb.dataplane.l7.AppCookieTable(persistenceTimeoutMs, AFFINITY_CAPACITY) : null;
    this.balancer = persistence == SessionPersistenceType.SOURCE_IP
        ? PoolBalancer.create(algorithm(algorithm), endpoints,
            AffinityTable.create(Duration.ofMillis(persistenceTimeoutMs), AFFINITY_CAPACITY))
        : PoolBalancer.create(algorithm(algorithm), endpoints);
  }

  /** The balancer for a pool's algorithm; a switch, so that a new algorithm does not compile until it is mapped. */
  static Algorithm algorithm(LbAlgorithm a) {
    return switch (a) {
      case ROUND_ROBIN -> Algorithm.ROUND_ROBIN;
      case WEIGHTED_ROUND_ROBIN -> Algorithm.WEIGHTED_ROUND_ROBIN;
      case LEAST_CONNECTIONS -> Algorithm.LEAST_CONNECTIONS;
      case SOURCE_IP -> Algorithm.SOURCE_IP;
      case SOURCE_IP_PORT -> Algorithm.SOURCE_IP_PORT;
      case MAGLEV -> Algorithm.MAGLEV;
      case RANDOM_TWO_CHOICES -> Algorithm.RANDOM_TWO_CHOICES;
    };
  }

  /** Whether a pool with this configuration can keep this balancer (only the endpoints differ). */
  boolean sameShape(DesiredPool pool) {
    return pool.lbAlgorithm() == algorithm && pool.sessionPersistence() == persistence
        && pool.sessionPersistenceTimeoutMs() == persistenceTimeoutMs && pool.protocol() == protocol
        && pool.cookieName().equals(cookieName);
  }

  /** The pool's protocol: PROXY and PROXYV2 send a PROXY protocol header to its backends first. */
  public io.fiberlb.port.Protocol protocol() {
    return protocol;
  }

  public String id() {
    return poolId;
  }

  public SessionPersistenceType persistence() {
    return persistence;
  }

  /** APP_COOKIE: the application cookie's name; empty otherwise. */
  public String cookieName() {
    return cookieName;
  }

  /** APP_COOKIE: what each application cookie value was last seen with; null for other persistence types. */
  public io.fiberlb.dataplane.l7.AppCookieTable appCookies() {
    return appCookies;
  }

  /** HTTP_COOKIE: the value naming {@code backendId}: opaque (16 hex digits) and the same on every node. */
  public static String cookieValue(String backendId) {
    return String.format("%016x", io.fiberlb.balance.Hashing.hash64(
        backendId.getBytes(java.nio.charset.StandardCharsets.UTF_8), SEED_COOKIE));
  }

  /** HTTP_COOKIE: the cookie's name for this pool. */
  public String httpCookieName() {
    return httpCookieName;
  }

  /** HTTP_COOKIE: the endpoint key whose backend this cookie value names, or null. */
  public String endpointKeyForCookie(String value) {
    return cookies().keyByCookie().get(value);
  }

  /** HTTP_COOKIE: the cookie value of one of this pool's backends (computed once per configuration). */
  public String cookieOf(String backendId) {
    String v = cookies().cookieByBackend().get(backendId);
    return v != null ? v : cookieValue(backendId);
  }

  private CookieIndex cookies() {
    Map<String, Slot> s = slots;
    CookieIndex ci = cookieIndex;
    if (ci == null || ci.of() != s) { // rebuilt once per configuration; a race only builds it twice
      Map<String, String> byCookie = new java.util.HashMap<>();
      Map<String, String> byBackend = new java.util.HashMap<>();
      s.forEach((key, slot) -> {
        String value = cookieValue(slot.backendId());
        byCookie.put(value, key);
        byBackend.put(slot.backendId(), value);
      });
      ci = new CookieIndex(s, Map.copyOf(byCookie), Map.copyOf(byBackend));
      cookieIndex = ci;
    }
    return ci;
  }

  public PoolBalancer balancer() {
    return balancer;
  }

  public Slot slot(Endpoint e) {
    return slots.get(e.key());
  }
}
