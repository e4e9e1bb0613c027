package io.fiberlb.dataplane.l7;

import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.balance.ConnectionKey;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.port.SessionPersistenceType;
import java.util.List;

/**
 * Picks a request's backend in its pool, with the pool's session persistence: HTTP_COOKIE (FiberLB's own cookie
 * names the backend by an opaque hash of its id), APP_COOKIE (an application cookie's value stays with the backend
 * that set it), SOURCE_IP (the pool's balancer remembers the client address), or none. A remembered backend is
 * used only while it is a candidate (up, weight above 0); otherwise the balancer picks again and the session moves.
 */
public final class CookiePersistence {
  /** Prefix of FiberLB's own persistence cookie; the pool id's hash follows, so pools behind one host do not clash. */
  public static final String COOKIE_PREFIX = PoolRuntime.HTTP_COOKIE_PREFIX;

  private CookiePersistence() {}

  /** The name of the HTTP_COOKIE cookie of {@code pool}. */
  public static String cookieName(PoolRuntime pool) {
    return pool.httpCookieName();
  }

  /**
   * The backend for one request, or null when none is eligible.
   *
   * @param exclude endpoint keys already tried for this request (a failed connect), or null
   */
  public static Endpoint pick(PoolRuntime pool, HttpRequestView req, ConnectionKey client, List<String> exclude) {
    if (exclude == null || exclude.isEmpty()) {
      String stuck = switch (pool.persistence()) {
        case HTTP_COOKIE -> {
          String v = req.cookie(cookieName(pool));
          yield v == null ? null : pool.endpointKeyForCookie(v);
        }
        case APP_COOKIE -> {
          String v = pool.cookieName().isEmpty() ? null : req.cookie(pool.cookieName());
          yield v == null ? null : pool.appCookies().lookup(v);
        }
        default -> null;
      };
      if (stuck != null) {
        for (Endpoint e : pool.balancer().candidates()) {
          if (e.key().equals(stuck)) return e;
        }
      }
      Endpoint chosen = pool.balancer().pick(client);
      if (chosen != null && pool.persistence() == SessionPersistenceType.APP_COOKIE && !pool.cookieName().isEmpty()) {
        String v = req.cookie(pool.cookieName()); // a session whose backend went away (or was forgotten) moves
        if (v != null) pool.appCookies().remember(v, chosen.key());
      }
      return chosen;
    }
    // A retry after a failed connect: the next candidate not tried yet, in the pool's order.
    List<Endpoint> candidates = pool.balancer().candidates();
    for (Endpoint e : candidates) {
      if (!exclude.contains(e.key())) return e;
    }
    return null;
  }

  /**
   * HTTP_COOKIE: the Set-Cookie value to add to the response when the request did not already carry the cookie for
   * {@code served}; null when nothing is to be set (other persistence types, or the cookie already names it).
   */
  public static String setCookie(PoolRuntime pool, HttpRequestView req, PoolRuntime.Slot served) {
    if (pool.persistence() != SessionPersistenceType.HTTP_COOKIE || served == null) return null;
    String name = cookieName(pool);
    String value = pool.cookieOf(served.backendId());
    if (value.equals(req.cookie(name))) return null;
    return name + "=" + value + "; Path=/; HttpOnly";
  }

  /** APP_COOKIE: learns from one Set-Cookie header of the backend's response that {@code value} is {@code key}'s. */
  public static void learn(PoolRuntime pool, String setCookieHeader, String endpointKey) {
    if (pool.persistence() != SessionPersistenceType.APP_COOKIE || pool.cookieName().isEmpty()) return;
    String name = pool.cookieName();
    int eq = setCookieHeader.indexOf('=');
    if (eq <= 0 || !setCookieHeader.substring(0, eq).trim().equals(name)) return;
    int semi = setCookieHeader.indexOf(';', eq);
    String value = (semi < 0 ? setCookieHeader.substring(eq + 1) : setCookieHeader.substring(eq + 1, semi)).trim();
    if (!value.isEmpty()) pool.appCookies().remember(value, endpointKey);
  }
}
