package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;

/** How many child resources of each kind a load balancer holds: what project quotas count. */
public record Usage(int listeners, int pools, int backends, int healthChecks) implements CborSerializable {
  public static final Usage NONE = new Usage(0, 0, 0, 0);

  public int of(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> listeners;
      case POOL -> pools;
      case BACKEND -> backends;
      case HEALTH_CHECK -> healthChecks;
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
