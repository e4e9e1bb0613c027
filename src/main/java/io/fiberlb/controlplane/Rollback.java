package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerEvent.RolledBack;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Validation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rollback and restore, as pure functions: the one event that takes a load balancer from today's state to the
 * configuration it had at a past version ({@link #plan}), the rules that configuration must meet today, and how the
 * event is applied ({@link #apply}, {@link #restored}). What needs other entities (the name and quotas in the
 * project, the VIP in its pool) is asked by the entity around this.
 */
final class Rollback {
  private Rollback() {}

  /**
   * What a rollback would do: the event (null when the load balancer already is as it was then) and the state after
   * it; or why it is refused.
   */
  record Outcome(RolledBack event, Active after, Rejection rejection) {
    static Outcome refused(Rejection r) {
      return new Outcome(null, null, r);
    }
  }

  /**
   * The event from {@code current} (live, or deleted for a restore) to {@code target}, the state at
   * {@code toVersion}, checked against today's rules: every field rule, one listener per port and transport, unique
   * names and backend addresses, references between children. A broken rule is FAILED_PRECONDITION naming the
   * field and what holds it: the past configuration cannot be had today as it was.
   *
   * @param vip the VIP a restore takes (ignored on a rollback: a live load balancer keeps its VIP)
   */
  static Outcome plan(LoadBalancerState current, Active target, long toVersion, String vip, String vipPool,
      EventMeta meta) {
    boolean restore = current instanceof Deleted;
    Map<String, Child> now = current instanceof Active a ? a.children() : Map.of();
    long from = current instanceof Active a ? a.version() : ((Deleted) current).version();
    var upserted = new ArrayList<Child>();
    for (Child t : target.children().values()) {
      Child cur = now.get(t.id());
      if (cur != null && Writes.sameContent(cur, t)) continue;
      upserted.add(ChildPatch.empty(t.kind()).applyTo(t, from + 1, meta.at()));
    }
    var removed = new ArrayList<String>();
    for (String id : now.keySet()) {
      if (!target.children().containsKey(id)) removed.add(id);
    }
    LoadBalancerInfo t = target.info();
    if (current instanceof Active a && upserted.isEmpty() && removed.isEmpty() && sameOwnFields(a.info(), t)) {
      return new Outcome(null, a, null);
    }
    var event = new RolledBack(from, toVersion, t.name(), t.description(), t.adminStateUp(), t.tags(), upserted,
        removed, restore ? vip : "", restore ? vipPool : "", meta);
    Active after = (Active) current.apply(event);
    Optional<Rejection> broken = Validation.loadBalancer(after.info());
    for (var it = after.children().values().iterator(); broken.isEmpty() && it.hasNext(); ) {
      Child c = it.next();
      broken = Validation.child(c, null).or(() -> after.checkTree(c, c));
    }
    if (broken.isPresent()) {
      return Outcome.refused(Rejection.precondition("the load balancer as it was at version " + toVersion
          + " cannot be had today: " + broken.get().message()));
    }
    return new Outcome(event, after, null);
  }

  private static boolean sameOwnFields(LoadBalancerInfo a, LoadBalancerInfo b) {
    return a.name().equals(b.name()) && a.description().equals(b.description())
        && a.adminStateUp() == b.adminStateUp() && a.tags().equals(b.tags());
  }

  /**
   * A live load balancer after a rollback. Children keep their creation order (by creation version, so paging by
   * it stays right when a child comes back); health stays with the backends that stay at the same probe target.
   */
  static Active apply(Active s, RolledBack e) {
    var gone = new HashSet<>(e.removedChildIds());
    var kids = new LinkedHashMap<>(s.children());
    kids.keySet().removeAll(gone);
    var health = new LinkedHashMap<>(s.health());
    health.keySet().removeAll(gone);
    for (Child c : e.children()) {
      if (c instanceof Backend b && s.children().get(b.id()) instanceof Backend old
          && !(old.address().equals(b.address()) && Active.probePort(old) == Active.probePort(b))) {
        health.remove(b.id());
      }
      kids.put(c.id(), c);
    }
    var ids = new LinkedHashMap<>(s.requestIds());
    ids.values().removeAll(gone);
    var hashes = new LinkedHashMap<>(s.requestHashes());
    s.requestIds().forEach((rid, id) -> {
      if (gone.contains(id)) hashes.remove(rid);
    });
    LoadBalancerInfo i = s.info();
    var info = new LoadBalancerInfo(i.id(), i.orgId(), i.projectId(), e.name(), e.description(), i.vipAddress(),
        i.vipPool(), e.adminStateUp(), e.tags(), i.createdAt(), e.meta().at());
    return new Active(info, s.version() + 1, inCreationOrder(kids.values()), ids, health, hashes);
  }

  /** A deleted load balancer brought back: its id, its children as they were, the VIP the event says. */
  static Active restored(Deleted d, RolledBack e) {
    LoadBalancerInfo i = d.info();
    var info = new LoadBalancerInfo(i.id(), i.orgId(), i.projectId(), e.name(), e.description(), e.vipAddress(),
        e.vipPool(), e.adminStateUp(), e.tags(), i.createdAt(), e.meta().at());
    return new Active(info, d.version() + 1, inCreationOrder(e.children()), Map.of(), Map.of(), Map.of());
  }

  private static Map<String, Child> inCreationOrder(java.util.Collection<Child> children) {
    List<Child> sorted = new ArrayList<>(children);
    sorted.sort(Comparator.comparingLong(Child::createdVersion));
    var out = new LinkedHashMap<String, Child>();
    for (Child c : sorted) out.put(c.id(), c);
    return out;
  }
}
