package io.fiberlb.controlplane.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.fiberlb.CborSerializable;

/**
 * How many child resources of each kind a load balancer holds: what project quotas count. The shape is journaled by
 * the project entity, so counts are only ever added: {@code l7Policies} and {@code l7Rules} came with the L7 quotas
 * (issue 12) and read as 0 from older events, until the load balancer's next Sync (at its recovery) counts them.
 */
public record Usage(int listeners, int pools, int backends, int healthChecks, int l7Policies, int l7Rules)
    implements CborSerializable {
  public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);

  @JsonCreator
  public Usage {}

  /** The counts before L7 quotas (the shape of older events). */
  public Usage(int listeners, int pools, int backends, int healthChecks) {
    this(listeners, pools, backends, healthChecks, 0, 0);
  }

  public int of(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> listeners;
      case POOL -> pools;
      case BACKEND -> backends;
      case HEALTH_CHECK -> healthChecks;
      case L7_POLICY -> l7Policies;
      case L7_RULE -> l7Rules;
    };
  }

  /** The quota that limits {@code kind}, as the API names it ({@code health_checks}, {@code l7_policies}). */
  public static String quotaName(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> "listeners";
      case POOL -> "pools";
      case BACKEND -> "backends";
      case HEALTH_CHECK -> "health_checks";
      case L7_POLICY -> "l7_policies";
      case L7_RULE -> "l7_rules";
    };
  }

  /** One child of {@code kind}. */
  public static Usage one(Enums.Kind kind) {
    return switch (kind) {
      case LISTENER -> new Usage(1, 0, 0, 0, 0, 0);
      case POOL -> new Usage(0, 1, 0, 0, 0, 0);
      case BACKEND -> new Usage(0, 0, 1, 0, 0, 0);
      case HEALTH_CHECK -> new Usage(0, 0, 0, 1, 0, 0);
      case L7_POLICY -> new Usage(0, 0, 0, 0, 1, 0);
      case L7_RULE -> new Usage(0, 0, 0, 0, 0, 1);
    };
  }

  public Usage plus(Usage o) {
    return new Usage(listeners + o.listeners, pools + o.pools, backends + o.backends, healthChecks + o.healthChecks,
        l7Policies + o.l7Policies, l7Rules + o.l7Rules);
  }

  public Usage minus(Usage o) {
    return new Usage(listeners - o.listeners, pools - o.pools, backends - o.backends, healthChecks - o.healthChecks,
        l7Policies - o.l7Policies, l7Rules - o.l7Rules);
  }

  /** True when no count of this exceeds the same count of {@code o}. */
  public boolean fitsWithin(Usage o) {
    return listeners <= o.listeners && pools <= o.pools && backends <= o.backends && healthChecks <= o.healthChecks
        && l7Policies <= o.l7Policies && l7Rules <= o.l7Rules;
  }
}
