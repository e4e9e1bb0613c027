package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;

/**
 * How many child resources of each counted kind a load balancer holds: what project quotas count. L7 policies and
 * rules are not counted (no quota of their own; the shape is journaled by the project entity, so adding counts is a
 * new optional field, not a change).
 */
public record Usage(int listeners, int pools, int backends, int healthChecks) implements CborSerializable {
  public static final Usage NONE = new Usage(0, 0, 0, 0);

  public int of(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> listeners;
      case POOL -> pools;
      case BACKEND -> backends;
      case HEALTH_CHECK -> healthChecks;
      case L7_POLICY, L7_RULE -> 0;
    };
  }

  /** One child of {@code kind}. */
  public static Usage one(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> new Usage(1, 0, 0, 0);
      case POOL -> new Usage(0, 1, 0, 0);
      case BACKEND -> new Usage(0, 0, 1, 0);
      case HEALTH_CHECK -> new Usage(0, 0, 0, 1);
      case L7_POLICY, L7_RULE -> NONE;
    };
  }

  public Usage plus(Usage o) {
    return new Usage(listeners + o.listeners, pools + o.pools, backends + o.backends, healthChecks + o.healthChecks);
  }

  public Usage minus(Usage o) {
    return new Usage(listeners - o.listeners, pools - o.pools, backends - o.backends, healthChecks - o.healthChecks);
  }

  /** True when no count of this exceeds the same count of {@code o}. */
  public boolean fitsWithin(Usage o) {
    return listeners <= o.listeners && pools <= o.pools && backends <= o.backends && healthChecks <= o.healthChecks;
  }
}
