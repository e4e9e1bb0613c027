package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerProtocol.ChildReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.CreateChild;
import io.fiberlb.controlplane.LoadBalancerProtocol.CreateLoadBalancer;
import io.fiberlb.controlplane.LoadBalancerProtocol.DeleteChild;
import io.fiberlb.controlplane.LoadBalancerProtocol.DeleteLoadBalancer;
import io.fiberlb.controlplane.LoadBalancerProtocol.DeletedReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.LoadBalancerReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.UpdateChild;
import io.fiberlb.controlplane.LoadBalancerProtocol.UpdateLoadBalancer;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildCreated;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildDeleted;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildUpdated;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import io.fiberlb.controlplane.model.Validation;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The rules of every write to a load balancer, as {@link Decision}s: the event a command would write, or why it is
 * refused. Pure (no actor, no journal): the entity carries the decision out for real or as a dry run.
 *
 * @param lbId the load balancer's id, for messages
 * @param listenerErrors what the data plane reports of listeners that cannot serve, for the views in replies
 * @param binding listeners whose bind the data plane has not reported yet (PENDING_*), for the views in replies
 */
record Writes(String lbId, Map<String, String> listenerErrors,
    Map<String, io.fiberlb.controlplane.model.Enums.ProvisioningStatus> binding) {

  /** A new load balancer: its fields and VIP against the range; the name, quota and VIP are the saga's. */
  Decision createLoadBalancer(CreateLoadBalancer c, String vipRange) {
    LoadBalancerPatch p = c.spec();
    Instant now = Instant.now();
    var info = new LoadBalancerInfo(lbId, c.caller().orgId(), c.caller().projectId(), orElse(p.name(), ""),
        orElse(p.description(), ""), "", "", orElse(p.adminStateUp(), true), orElse(p.tags(), List.of()), now, now);
    String vip = orElse(p.vipAddress(), "");
    Optional<Rejection> bad = CreateRules.check(info, vip, vipRange);
    if (bad.isPresent()) return Decision.refuse(bad.get());
    return Decision.write(new LoadBalancerEvent.CreationStarted(info, vip, EventMeta.of(c.caller(), "CreateLoadBalancer"),
        c.requestHash()), ns -> new LoadBalancerReply(((Active) ns).view(listenerErrors, binding)));
  }

  /** A create repeated with its request id once the load balancer exists: the same answer, unless the body differs. */
  Decision repeatCreate(Active s, CreateLoadBalancer c) {
    String rid = c.caller().requestId();
    Optional<Rejection> reused = CreateRules.reusedRequestId(rid, s.requestHashes().get(rid), c.requestHash());
    if (reused.isPresent()) return Decision.refuse(reused.get());
    return Decision.answer(new LoadBalancerReply(s.view(listenerErrors, binding)));
  }

  Decision updateLoadBalancer(Active s, UpdateLoadBalancer c) {
    Optional<Rejection> stale = checkVersion(c.expectedVersion(), s.version(), "load balancer");
    if (stale.isPresent()) return Decision.refuse(stale.get());
    LoadBalancerPatch p = c.patch();
    LoadBalancerInfo cur = s.info();
    if (p.vipAddress() != null && !p.vipAddress().equals(cur.vipAddress())) {
      return Decision.refuse(Rejection.invalid("load_balancer.vip_address: cannot be changed after create"));
    }
    var next = new LoadBalancerInfo(cur.id(), cur.orgId(), cur.projectId(), orElse(p.name(), cur.name()),
        orElse(p.description(), cur.description()), cur.vipAddress(), cur.vipPool(),
        orElse(p.adminStateUp(), cur.adminStateUp()), orElse(p.tags(), cur.tags()), cur.createdAt(), cur.updatedAt());
    Optional<Rejection> bad = Validation.loadBalancer(next);
    if (bad.isPresent()) return Decision.refuse(bad.get());
    if (next.equals(cur)) return Decision.answer(new LoadBalancerReply(s.view(listenerErrors, binding)));
    var event = new LoadBalancerEvent.Updated(next.name(), next.description(), next.adminStateUp(), next.tags(),
        EventMeta.of(c.caller(), "UpdateLoadBalancer"));
    return new Decision.Write(event, next.name().equals(cur.name()) ? null : new Decision.Rename(next.name()),
        ns -> new LoadBalancerReply(((Active) ns).view(listenerErrors, binding)));
  }

  /** The answer (the tree version after the delete) is given once the VIP and the name are given back. */
  Decision deleteLoadBalancer(Active s, DeleteLoadBalancer c) {
    Optional<Rejection> stale = checkVersion(c.expectedVersion(), s.version(), "load balancer");
    if (stale.isPresent()) return Decision.refuse(stale.get());
    Usage u = s.usage();
    if (!s.children().isEmpty() && !c.cascade()) {
      return Decision.refuse(Rejection.precondition("load balancer " + lbId + " still has " + u.listeners()
          + " listeners, " + u.pools() + " pools, " + u.backends() + " backends and " + u.healthChecks()
          + " health checks; delete them first or pass cascade"));
    }
    return Decision.write(new LoadBalancerEvent.Deleted(c.cascade(), List.copyOf(s.children().keySet()),
        EventMeta.of(c.caller(), "DeleteLoadBalancer")), ns -> new DeletedReply(((LoadBalancerState.Deleted) ns).version()));
  }

  Decision createChild(Active s, CreateChild c) {
    Kind kind = c.patch().kind();
    if (!c.requestId().isEmpty()) {
      String existing = s.requestIds().get(c.requestId());
      Optional<Rejection> reused = existing == null ? Optional.empty()
          : CreateRules.reusedRequestId(c.requestId(), s.requestHashes().get(c.requestId()), c.requestHash());
      if (reused.isPresent()) return Decision.refuse(reused.get());
      if (existing != null && s.find(kind, existing).isPresent()) {
        return Decision.answer(new ChildReply(s.view(s.find(kind, existing).get(), listenerErrors)));
      }
    }
    if (kind.parent != null && s.find(kind.parent, c.parentId()).isEmpty()) {
      return Decision.refuse(Rejection.notFound(kind.parentField + ": no " + kind.parent.noun() + " " + c.parentId()
          + " in load balancer " + lbId));
    }
    List<String> missing = c.patch().missingForCreate();
    if (!missing.isEmpty()) return Decision.refuse(Rejection.invalid(missing.get(0) + ": is required"));
    long version = s.version() + 1;
    Instant now = Instant.now();
    Child base = kind.defaults(UUID.randomUUID().toString(), kind.parent == null ? "" : c.parentId(), version, now);
    Child candidate = c.patch().applyTo(base, version, now);
    Optional<Rejection> bad = Validation.child(candidate, null).or(() -> s.checkTree(candidate, null));
    if (bad.isPresent()) return Decision.refuse(bad.get());
    var event = new ChildCreated(candidate, c.requestId(), EventMeta.of(c.caller(), "Create" + kind.typeName),
        c.requestId().isEmpty() ? null : c.requestHash());
    return new Decision.Write(event, new Decision.Reserve(s.usage().plus(Usage.one(kind))), written(candidate));
  }

  Decision updateChild(Active s, UpdateChild c) {
    Optional<Child> found = s.find(c.kind(), c.id());
    if (found.isEmpty()) return Decision.refuse(childNotFound(c.kind(), c.id()));
    Child cur = found.get();
    Optional<Rejection> stale = checkVersion(c.expectedVersion(), cur.version(), c.kind().noun());
    if (stale.isPresent()) return Decision.refuse(stale.get());
    long version = s.version() + 1;
    Child candidate = c.patch().applyTo(cur, version, Instant.now());
    Optional<Rejection> bad = Validation.child(candidate, cur).or(() -> s.checkTree(candidate, cur));
    if (bad.isPresent()) return Decision.refuse(bad.get());
    if (sameContent(candidate, cur)) return Decision.answer(new ChildReply(s.view(cur, listenerErrors, binding)));
    return Decision.write(new ChildUpdated(candidate, EventMeta.of(c.caller(), "Update" + c.kind().typeName)),
        written(candidate));
  }

  Decision deleteChild(Active s, DeleteChild c) {
    Optional<Child> found = s.find(c.kind(), c.id());
    if (found.isEmpty()) return Decision.refuse(childNotFound(c.kind(), c.id()));
    Child cur = found.get();
    Optional<Rejection> refused = checkVersion(c.expectedVersion(), cur.version(), c.kind().noun())
        .or(() -> s.checkDelete(cur));
    if (refused.isPresent()) return Decision.refuse(refused.get());
    return Decision.write(new ChildDeleted(c.kind(), c.id(), s.dependents(cur),
        EventMeta.of(c.caller(), "Delete" + c.kind().typeName)), ns -> new DeletedReply(((Active) ns).version()));
  }

  /** The reply to a child write: the child as the new state holds it (an L7 policy's position is renumbered there). */
  private java.util.function.Function<LoadBalancerState, LoadBalancerEntity.Reply> written(Child candidate) {
    return ns -> new ChildReply(((Active) ns).view(((Active) ns).children().get(candidate.id()), listenerErrors,
        binding));
  }

  Rejection childNotFound(Kind kind, String id) {
    return Rejection.notFound(kind.noun() + " " + id + " not found in load balancer " + lbId);
  }

  static Optional<Rejection> checkVersion(Long expected, long actual, String what) {
    if (expected == null || expected == actual) return Optional.empty();
    return Optional.of(Rejection.aborted("expected_version: " + what + " is at version " + actual + ", not " + expected
        + "; read it again and retry"));
  }

  /** Equal but for version and updatedAt: an update that changes nothing is answered without an event. */
  static boolean sameContent(Child a, Child b) {
    ChildPatch none = a.kind().emptyPatch();
    return none.applyTo(a, 0, Instant.EPOCH).equals(none.applyTo(b, 0, Instant.EPOCH));
  }

  private static <T> T orElse(T value, T fallback) {
    return value != null ? value : fallback;
  }
}
