package io.fiberlb.controlplane;

import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Validation;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The rules of a create that need no other entity, shared by the API (which checks them before it sends the
 * create, so that a refused create never starts an entity) and the load balancer entity (which checks them again
 * before it journals anything), and the rule of a request id used again.
 */
public final class CreateRules {
  private CreateRules() {}

  /** Every rule a new load balancer must meet that needs no other entity: its fields, and its VIP against the range. */
  public static Optional<Rejection> check(LoadBalancerPatch p, String vipRange) {
    Instant now = Instant.EPOCH;
    var info = new LoadBalancerInfo("", "", "", orElse(p.name(), ""), orElse(p.description(), ""), "", "",
        orElse(p.adminStateUp(), true), orElse(p.tags(), List.of()), now, now);
    return check(info, orElse(p.vipAddress(), ""), vipRange);
  }

  static Optional<Rejection> check(LoadBalancerInfo info, String vip, String vipRange) {
    return Validation.loadBalancer(info)
        .or(() -> vip.isEmpty() ? Optional.empty() : VipPoolEntity.checkRequested(vipRange, vip));
  }

  /**
   * A client request id used again with a different body (digests differ): refused, so that a mistake is never
   * answered as a retry. A record without a digest (written before digests were kept) accepts any body.
   */
  static Optional<Rejection> reusedRequestId(String requestId, String stored, String given) {
    if (stored == null || given == null || stored.equals(given)) return Optional.empty();
    return Optional.of(Rejection.invalid("request_id: '" + requestId + "' was already used for a request with a"
        + " different body; a retry must repeat the request exactly, a new request needs a new request_id"));
  }

  private static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
