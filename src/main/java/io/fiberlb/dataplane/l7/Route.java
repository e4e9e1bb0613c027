package io.fiberlb.dataplane.l7;

import io.fiberlb.dataplane.PoolRuntime;

/** What the routing table decided for one request. */
public sealed interface Route {

  /** A matching REJECT policy: 403. */
  record Reject(String policyId) implements Route {}

  /** A matching REDIRECT_TO_URL or REDIRECT_PREFIX policy: {@code code} with this Location. */
  record Redirect(String policyId, int code, String location) implements Route {}

  /**
   * Served by {@code pool} (a REDIRECT_TO_POOL policy's pool, or the listener's default pool); {@code pool} is null
   * when there is none (no default pool, or a pool that no longer runs): 503.
   */
  record ToPool(String policyId, PoolRuntime pool) implements Route {}
}
