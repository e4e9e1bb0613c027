package io.fiberlb.api.security;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a principal may do, as Octavia's operators know the roles: {@code observer} reads its project,
 * {@code member} also writes in it, {@code global_observer} reads any project, {@code admin} does anything anywhere.
 */
public enum Role {
  OBSERVER, MEMBER, GLOBAL_OBSERVER, ADMIN;

  /** The name in token files, JWT claims and certificate mappings: {@code observer}, {@code global_observer}, ... */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Role names that mean nothing to FiberLB are left out: a principal with no known role may do nothing. */
  public static Set<Role> parse(Iterable<String> names) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String n : names) {
      for (Role r : values()) {
        if (r.wireName().equals(n.trim().toLowerCase(Locale.ROOT))) roles.add(r);
      }
    }
    return roles;
  }

  /** Strict: for settings and the CLI, where a typo must be reported rather than dropped. */
  public static Role of(String name) {
    for (Role r : values()) {
      if (r.wireName().equals(name.trim())) return r;
    }
    throw new IllegalArgumentException("unknown role '" + name + "' (observer, member, global_observer, admin)");
  }
}
