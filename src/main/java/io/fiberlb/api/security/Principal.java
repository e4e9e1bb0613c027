package io.fiberlb.api.security;

import java.util.Set;

/**
 * A verified caller: the name recorded as the actor of the events it causes ({@code token:ci},
 * {@code jwt:https://issuer/#alice}, {@code cert:CN=ops}), its home organisation and project, and its roles.
 */
public record Principal(String name, String org, String project, Set<Role> roles) {
  public Principal {
    roles = Set.copyOf(roles);
  }

  /** May read any project ({@code global_observer}, {@code admin}). */
  public boolean global() {
    return roles.contains(Role.ADMIN) || roles.contains(Role.GLOBAL_OBSERVER);
  }

  public boolean mayRead() {
    return !roles.isEmpty();
  }

  /** May write in its own project ({@code member}) or anywhere ({@code admin}). */
  public boolean mayWrite(boolean ownProject) {
    return roles.contains(Role.ADMIN) || (ownProject && roles.contains(Role.MEMBER));
  }
}
