package io.fiberlb.dataplane.l7;

import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.port.DesiredL7Policy;
import io.fiberlb.port.DesiredL7Rule;
import io.fiberlb.port.DesiredListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One HTTP listener's L7 policies compiled once (lower-cased host values, precompiled regular expressions, pools
 * resolved) into an immutable table; the listener swaps the whole table with its configuration, so a request sees
 * either the old table or the new one, never a mix. {@link #route} tries the policies in position order: the first
 * whose rules all match decides; none matching sends the request to the default pool.
 *
 * <p>Rule semantics (Octavia's, as HAProxy applies them): HOST_NAME compares the Host header lower case without its
 * port; PATH the path without query; FILE_TYPE the extension of the path's last segment (without the dot, empty when
 * none); HEADER and COOKIE the value of the header or cookie named by the key. A part the request does not have
 * fails the comparison (so an inverted rule matches it). REGEX searches (unanchored, as HAProxy's {@code -m reg}).
 * A policy without rules matches nothing.
 *
 * <p>Equality is by the policies it was compiled from and the pools' identities, so an unchanged configuration
 * compiles to an equal table and the listener is not told again.
 */
public final class RoutingTable {
  private final List<Policy> policies;
  private final PoolRuntime defaultPool;
  private final List<DesiredL7Policy> source;

  private RoutingTable(List<Policy> policies, PoolRuntime defaultPool, List<DesiredL7Policy> source) {
    this.policies = policies;
    this.defaultPool = defaultPool;
    this.source = source;
  }

  /** A table with no policies: every request goes to {@code defaultPool} (503 when null). */
  public static RoutingTable defaultOnly(PoolRuntime defaultPool) {
    return new RoutingTable(List.of(), defaultPool, List.of());
  }

  /**
   * Compiles {@code listener}'s policies (already enabled-only and in position order). {@code pools} gives the
   * running pools by id; a pool it lacks is served as none (503).
   *
   * @throws java.util.regex.PatternSyntaxException for a REGEX the control plane should have refused
   */
  public static RoutingTable compile(DesiredListener listener, Map<String, PoolRuntime> pools) {
    PoolRuntime def = listener.defaultPoolId().isEmpty() ? null : pools.get(listener.defaultPoolId());
    List<Policy> out = new ArrayList<>();
    for (DesiredL7Policy p : listener.l7Policies()) {
      if (p.rules().isEmpty()) continue; // matches nothing
      List<Rule> rules = p.rules().stream().map(Rule::compile).toList();
      Route action = switch (p.action()) {
        case REJECT -> new Route.Reject(p.id());
        case REDIRECT_TO_URL -> new Route.Redirect(p.id(), p.redirectHttpCode(), p.redirectUrl());
        case REDIRECT_PREFIX -> new Route.Redirect(p.id(), p.redirectHttpCode(), stripSlash(p.redirectPrefix()));
        case REDIRECT_TO_POOL -> new Route.ToPool(p.id(), pools.get(p.redirectPoolId()));
      };
      out.add(new Policy(p.action(), rules, action));
    }
    return new RoutingTable(List.copyOf(out), def, listener.l7Policies());
  }

  private static String stripSlash(String prefix) {
    return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
  }

  /** Decides one request. */
  public Route route(HttpRequestView req) {
    for (Policy p : policies) {
      if (p.matches(req)) {
        if (p.kind == DesiredL7Policy.Action.REDIRECT_PREFIX) {
          Route.Redirect r = (Route.Redirect) p.action;
          return new Route.Redirect(r.policyId(), r.code(), r.location() + req.pathAndQuery());
        }
        return p.action;
      }
    }
    return new Route.ToPool("", defaultPool);
  }

  public PoolRuntime defaultPool() {
    return defaultPool;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RoutingTable t) || t.defaultPool != defaultPool || !t.source.equals(source)) return false;
    for (int i = 0; i < policies.size(); i++) {
      if (policies.get(i).action instanceof Route.ToPool a && a.pool() != ((Route.ToPool) t.policies.get(i).action).pool()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return source.hashCode();
  }

  private record Policy(DesiredL7Policy.Action kind, List<Rule> rules, Route action) {
    boolean matches(HttpRequestView req) {
      for (Rule r : rules) {
        if (!r.matches(req)) return false;
      }
      return true;
    }
  }

  /** One compiled rule. */
  private record Rule(DesiredL7Rule.Type type, DesiredL7Rule.CompareType compare, String key, String value,
      Pattern regex, boolean invert) {

    static Rule compile(DesiredL7Rule r) {
      String value = r.type() == DesiredL7Rule.Type.HOST_NAME && r.compareType() != DesiredL7Rule.CompareType.REGEX
          ? r.value().toLowerCase(Locale.ROOT) : r.value();
      Pattern regex = r.compareType() == DesiredL7Rule.CompareType.REGEX ? Pattern.compile(r.value()) : null;
      return new Rule(r.type(), r.compareType(), r.key(), value, regex, r.invert());
    }

    boolean matches(HttpRequestView req) {
      String part = switch (type) {
        case HOST_NAME -> hostName(req.host());
        case PATH -> req.path();
        case FILE_TYPE -> fileType(req.path());
        case HEADER -> req.header(key);
        case COOKIE -> req.cookie(key);
      };
      boolean hit = part != null && switch (compare) {
        case EQUAL_TO -> part.equals(value);
        case STARTS_WITH -> part.startsWith(value);
        case ENDS_WITH -> part.endsWith(value);
        case CONTAINS -> part.contains(value);
        case REGEX -> regex.matcher(part).find();
      };
      return hit != invert;
    }
  }

  /** The Host header lower case without its port ("[::1]:80" gives "[::1]"); null when absent. */
  static String hostName(String host) {
    if (host == null) return null;
    String h = host.trim();
    int colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(']') < colon && (h.startsWith("[") || h.indexOf(':') == colon)) h = h.substring(0, colon);
    return h.toLowerCase(Locale.ROOT);
  }

  /** The extension of the path's last segment, without the dot; "" when it has none. */
  static String fileType(String path) {
    int slash = path.lastIndexOf('/');
    int dot = path.lastIndexOf('.');
    return dot > slash ? path.substring(dot + 1) : "";
  }
}
