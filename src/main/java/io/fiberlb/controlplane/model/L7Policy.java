package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.L7Action;
import io.fiberlb.controlplane.model.Validation.Check;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An L7 policy (Octavia's model) of an HTTP or TERMINATED_HTTPS listener: when all its rules match a request, its
 * action decides the request. Policies are tried in {@code position} order, 1..n within the listener.
 *
 * @param position where it stands among its listener's policies; kept 1..n without gaps (see {@link #renumber})
 * @param redirectUrl REDIRECT_TO_URL only: the absolute URL the client is sent to
 * @param redirectPrefix REDIRECT_PREFIX only: scheme://host[:port] the request's path and query are appended to
 * @param redirectPoolId REDIRECT_TO_POOL only: the pool of this load balancer that serves the request
 * @param redirectHttpCode the status of a redirect: 301, 302, 303, 307 or 308
 */
public record L7Policy(
    String id,
    String listenerId,
    String name,
    String description,
    L7Action action,
    int position,
    String redirectUrl,
    String redirectPrefix,
    String redirectPoolId,
    int redirectHttpCode,
    boolean adminStateUp,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static final Set<Integer> REDIRECT_CODES = Set.of(301, 302, 303, 307, 308);
  /** A create without a position goes last. */
  public static final int LAST = Integer.MAX_VALUE;

  public static L7Policy defaults(String id, String listenerId, long version, Instant now) {
    return new L7Policy(id, listenerId, "", "", L7Action.REJECT, LAST, "", "", "", 302, true, List.of(), version,
        version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.L7_POLICY;
  }

  @Override
  public String parentId() {
    return listenerId;
  }

  L7Policy at(int newPosition) {
    return new L7Policy(id, listenerId, name, description, action, newPosition, redirectUrl, redirectPrefix,
        redirectPoolId, redirectHttpCode, adminStateUp, tags, version, createdVersion, createdAt, updatedAt);
  }

  /**
   * Octavia's insert semantics: {@code moved} (just created or updated) takes its position among its listener's
   * other policies, which shift down to make room (a position past the end puts it last), and every listener's
   * policies are numbered 1..n again (after a delete: the gap closes). A pure function of the children and the
   * event, so replay numbers them as the live entity did.
   *
   * @param moved the policy just written, or null after a delete
   */
  public static Map<String, Child> renumber(Map<String, Child> children, L7Policy moved) {
    var byListener = new LinkedHashMap<String, List<L7Policy>>();
    for (Child c : children.values()) {
      if (c instanceof L7Policy p && (moved == null || !p.id().equals(moved.id()))) {
        byListener.computeIfAbsent(p.listenerId(), k -> new ArrayList<>()).add(p);
      }
    }
    if (moved != null) byListener.computeIfAbsent(moved.listenerId(), k -> new ArrayList<>());
    Map<String, Child> out = null;
    for (var e : byListener.entrySet()) {
      List<L7Policy> order = e.getValue();
      order.sort(Comparator.comparingInt(L7Policy::position).thenComparingLong(L7Policy::createdVersion));
      if (moved != null && moved.listenerId().equals(e.getKey())) {
        order.add(Math.max(0, Math.min(moved.position(), order.size() + 1) - 1), moved);
      }
      for (int i = 0; i < order.size(); i++) {
        L7Policy p = order.get(i);
        if (p.position() != i + 1 || p == moved) {
          if (out == null) out = new LinkedHashMap<>(children);
          out.put(p.id(), p.at(i + 1));
        }
      }
    }
    return out == null ? children : out;
  }

  // ------------------------------------------------------------------ rules

  @Override
  public void check(Check c, Child before) {
    Validation.text(c, "l7policy.description", description, Validation.MAX_DESCRIPTION);
    c.rule(position >= 1, "l7policy.position", "must be 1 or more (1 is tried first), got " + position);
    c.rule(REDIRECT_CODES.contains(redirectHttpCode), "l7policy.redirect_http_code",
        "must be 301, 302, 303, 307 or 308, got " + redirectHttpCode);
    required(c, L7Action.REDIRECT_TO_URL, "redirect_url", redirectUrl);
    required(c, L7Action.REDIRECT_PREFIX, "redirect_prefix", redirectPrefix);
    required(c, L7Action.REDIRECT_TO_POOL, "redirect_pool_id", redirectPoolId);
    if (!redirectUrl.isEmpty()) url(c, "l7policy.redirect_url", redirectUrl, true);
    if (!redirectPrefix.isEmpty()) url(c, "l7policy.redirect_prefix", redirectPrefix, false);
    Validation.ref(c, "l7policy.redirect_pool_id", redirectPoolId);
  }

  /** The field of {@code action} is required with it, and refused with any other action. */
  private void required(Check c, L7Action with, String field, String value) {
    if (action == with) c.rule(!value.isEmpty(), "l7policy." + field, "is required with action " + with);
    else c.rule(value.isEmpty(), "l7policy." + field, "applies to action " + with + " only, not " + action);
  }

  private static void url(Check c, String field, String value, boolean pathAllowed) {
    boolean ok = value.length() <= 2048 && value.chars().noneMatch(ch -> ch <= ' ' || ch == 0x7f);
    if (ok) {
      try {
        URI u = new URI(value);
        ok = ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
            && u.getHost() != null && (pathAllowed || ((u.getRawPath() == null || u.getRawPath().isEmpty()
                || u.getRawPath().equals("/")) && u.getRawQuery() == null && u.getRawFragment() == null));
      } catch (java.net.URISyntaxException e) {
        ok = false;
      }
    }
    c.rule(ok, field, pathAllowed ? "must be an absolute http:// or https:// URL, got '" + value + "'"
        : "must be http:// or https:// with a host and an optional port, and no path, got '" + value + "'");
  }

  @Override
  public Optional<Rejection> checkTree(Tree tree, Child before) {
    Listener listener = (Listener) tree.children().get(listenerId);
    if (!listener.protocol().http()) {
      return Optional.of(Rejection.precondition("l7policy.listener_id: listener " + listenerId + " is "
          + listener.protocol() + "; L7 policies apply to HTTP and TERMINATED_HTTPS listeners"));
    }
    for (Child other : tree.children().values()) {
      if (other instanceof L7Policy o && !o.id().equals(id) && !name.isEmpty() && name.equals(o.name())) {
        return Optional.of(Rejection.exists("l7policy.name: '" + name + "' is already used by L7 policy " + o.id()
            + " in this load balancer"));
      }
    }
    if (redirectPoolId.isEmpty()) return Optional.empty();
    Optional<Rejection> missing = tree.missing(Kind.POOL, redirectPoolId, "l7policy.redirect_pool_id");
    if (missing.isPresent()) return missing;
    var pool = (Pool) tree.children().get(redirectPoolId);
    if (!listener.protocol().poolProtocols().contains(pool.protocol())) {
      return Optional.of(Rejection.precondition("l7policy.redirect_pool_id: pool " + redirectPoolId + " is a "
          + pool.protocol() + " pool; " + Pool.protocolsFor(listener.protocol())));
    }
    return Optional.empty();
  }

  @Override
  public Optional<Rejection> holds(Child other) {
    if (other.kind() == Kind.POOL && redirectPoolId.equals(other.id())) {
      return Optional.of(Rejection.precondition("pool " + other.id() + " is the redirect pool of L7 policy " + id
          + "; change the policy's action or redirect_pool_id, or delete the policy first"));
    }
    return Optional.empty();
  }

  // ------------------------------------------------------------------ patch

  public record Patch(
      String name,
      String description,
      L7Action action,
      Integer position,
      String redirectUrl,
      String redirectPrefix,
      String redirectPoolId,
      Integer redirectHttpCode,
      Boolean adminStateUp,
      List<String> tags)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null, null, null, null);

    @Override
    public Kind kind() {
      return Kind.L7_POLICY;
    }

    @Override
    public List<String> missingForCreate() {
      return ChildPatch.missing(Kind.L7_POLICY, "action", action);
    }

    /** A new action drops the target of the old one unless this patch sets it (Octavia does the same). */
    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (L7Policy) base;
      L7Action a = or(action, b.action());
      return new L7Policy(b.id(), b.listenerId(), or(name, b.name()), or(description, b.description()), a,
          or(position, b.position()), target(redirectUrl, b.redirectUrl(), a == L7Action.REDIRECT_TO_URL),
          target(redirectPrefix, b.redirectPrefix(), a == L7Action.REDIRECT_PREFIX),
          target(redirectPoolId, b.redirectPoolId(), a == L7Action.REDIRECT_TO_POOL),
          or(redirectHttpCode, b.redirectHttpCode()), or(adminStateUp, b.adminStateUp()), or(tags, b.tags()), version,
          b.createdVersion(), b.createdAt(), now);
    }

    private static String target(String set, String current, boolean used) {
      return set != null ? set : used ? current : "";
    }
  }
}
