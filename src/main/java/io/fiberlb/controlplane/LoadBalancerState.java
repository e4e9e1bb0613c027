package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildCreated;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildDeleted;
import io.fiberlb.controlplane.LoadBalancerEvent.ChildUpdated;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.LoadBalancerView;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.L7Policy;
import io.fiberlb.controlplane.model.Tree;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.OperatingStatus;
import io.fiberlb.controlplane.model.Enums.ProvisioningStatus;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A load balancer's state, one type per lifecycle stage. Immutable: each event makes a new value (the maps are
 * copied, never changed in place), so a snapshot can be serialized while the entity moves on.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@stage")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LoadBalancerState.NotCreated.class, name = "not-created"),
  @JsonSubTypes.Type(value = LoadBalancerState.Creating.class, name = "creating"),
  @JsonSubTypes.Type(value = LoadBalancerState.Active.class, name = "active"),
  @JsonSubTypes.Type(value = LoadBalancerState.Deleted.class, name = "deleted")
})
public sealed interface LoadBalancerState extends CborSerializable {

  LoadBalancerState apply(LoadBalancerEvent event);

  /** Never created, or its creation failed and nothing is held. {@code attempts} counts failed creations. */
  record NotCreated(int attempts) implements LoadBalancerState {
    @JsonCreator
    public NotCreated {}

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      if (event instanceof LoadBalancerEvent.CreationStarted e) {
        return new Creating(e.info(), e.requestedVip(), attempts, e.meta().requestId(), e.requestHash());
      }
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " before creation");
    }
  }

  /**
   * Accepted; the project registration and the VIP allocation are under way (and resumed after a crash).
   *
   * @param requestId the request that asked for it, for the events the system writes to finish it
   * @param requestHash a digest of that request's body, so that a repeat with another body is refused; null on
   *     events from before it was recorded
   */
  record Creating(LoadBalancerInfo info, String requestedVip, int attempts, String requestId, String requestHash)
      implements LoadBalancerState {
    @JsonCreator
    public Creating {
      requestId = requestId == null ? "" : requestId;
    }

    public Creating(LoadBalancerInfo info, String requestedVip, int attempts, String requestId) {
      this(info, requestedVip, attempts, requestId, null);
    }

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      if (event instanceof LoadBalancerEvent.Created e) {
        var lb = new LoadBalancerInfo(info.id(), info.orgId(), info.projectId(), info.name(), info.description(),
            e.vipAddress(), e.vipPool(), info.adminStateUp(), info.tags(), e.meta().at(), e.meta().at());
        return new Active(lb, 1, Map.of(), Map.of(), Map.of(),
            requestHash == null ? Map.of() : Map.of(requestId, requestHash));
      }
      if (event instanceof LoadBalancerEvent.CreationFailed) return new NotCreated(attempts + 1);
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " while creating");
    }

    public LoadBalancerView view() {
      return new LoadBalancerView(info, 0, ProvisioningStatus.PENDING_CREATE, OperatingStatus.OFFLINE);
    }
  }

  /** A backend's last health transition as the data plane reported it. */
  record Health(boolean up, String reason, java.time.Instant at) implements CborSerializable {
    @JsonCreator
    public Health {}
  }

  /**
   * A live load balancer and all its children, in creation order.
   *
   * @param requestIds client idempotency keys of child creates, to the id each created
   * @param health the last health transition of each backend that has had one (added with the data plane: absent
   *     from older snapshots, read as empty)
   * @param requestHashes a digest of the body of each client request id that created something here (the load
   *     balancer itself, and children), so that a repeat with another body is refused (absent from older
   *     snapshots and events, read as empty: those repeats are answered as before)
   */
  record Active(LoadBalancerInfo info, long version, Map<String, Child> children, Map<String, String> requestIds,
      Map<String, Health> health, Map<String, String> requestHashes)
      implements LoadBalancerState, Tree {

    @JsonCreator
    public Active {
      health = health == null ? Map.of() : health;
      requestHashes = requestHashes == null ? Map.of() : requestHashes;
    }

    public Active(LoadBalancerInfo info, long version, Map<String, Child> children, Map<String, String> requestIds,
        Map<String, Health> health) {
      this(info, version, children, requestIds, health, Map.of());
    }

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      long next = version + 1;
      if (event instanceof LoadBalancerEvent.BackendHealthChanged e) {
        if (!children.containsKey(e.backendId())) return this;
        var h = new LinkedHashMap<>(health);
        h.put(e.backendId(), new Health(e.up(), e.reason(), e.meta().at()));
        return new Active(info, version, children, requestIds, h, requestHashes);
      }
      if (event instanceof LoadBalancerEvent.Updated e) {
        var lb = new LoadBalancerInfo(info.id(), info.orgId(), info.projectId(), e.name(), e.description(),
            info.vipAddress(), info.vipPool(), e.adminStateUp(), e.tags(), info.createdAt(), e.meta().at());
        return new Active(lb, next, children, requestIds, health, requestHashes);
      }
      if (event instanceof ChildCreated e) {
        var kids = positioned(children, e.child());
        Map<String, String> ids = requestIds;
        Map<String, String> hashes = requestHashes;
        if (!e.requestId().isEmpty()) {
          ids = new LinkedHashMap<>(requestIds);
          ids.put(e.requestId(), e.child().id());
          if (e.requestHash() != null) {
            hashes = new LinkedHashMap<>(requestHashes);
            hashes.put(e.requestId(), e.requestHash());
          }
        }
        return new Active(info, next, kids, ids, health, hashes);
      }
      if (event instanceof ChildUpdated e) {
        var kids = positioned(children, e.child());
        Map<String, Health> h = health;
        if (e.child() instanceof Backend b && health.containsKey(b.id()) && children.get(b.id()) instanceof Backend old
            && !(old.address().equals(b.address()) && probePort(old) == probePort(b))) {
          h = new LinkedHashMap<>(health); // a new probe target: what was known about the old one no longer holds
          h.remove(b.id());
        }
        return new Active(info, next, kids, requestIds, h, requestHashes);
      }
      if (event instanceof ChildDeleted e) {
        var gone = new HashSet<>(e.removedChildIds());
        gone.add(e.id());
        var kids = new LinkedHashMap<>(children);
        kids.keySet().removeAll(gone);
        var ids = new LinkedHashMap<>(requestIds);
        ids.values().removeAll(gone);
        var hashes = new LinkedHashMap<>(requestHashes);
        requestIds.forEach((rid, id) -> {
          if (gone.contains(id)) hashes.remove(rid);
        });
        var h = new LinkedHashMap<>(health);
        h.keySet().removeAll(gone);
        return new Active(info, next, L7Policy.renumber(kids, null), ids, h, hashes);
      }
      if (event instanceof LoadBalancerEvent.Deleted e) return new Deleted(info, next, false, e.meta().requestId());
      if (event instanceof LoadBalancerEvent.RolledBack e) return Rollback.apply(this, e);
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " on an active load balancer");
    }

    /** The children with {@code written} put in (L7 policies: in its place among its listener's, renumbered). */
    private static Map<String, Child> positioned(Map<String, Child> children, Child written) {
      var kids = new LinkedHashMap<>(children);
      kids.put(written.id(), written);
      return written instanceof L7Policy p ? L7Policy.renumber(kids, p) : kids;
    }

    // ------------------------------------------------------------ reads

    public LoadBalancerView view() {
      return view(Map.of());
    }

    /**
     * @param listenerErrors what the data plane reports of listeners that cannot serve (a port already taken), by
     *     listener id; not journaled, as it says where this node stands and not what anyone decided
     */
    public LoadBalancerView view(Map<String, String> listenerErrors) {
      return view(listenerErrors, Map.of());
    }

    /**
     * @param binding listeners handed to the data plane whose bind it has not reported yet (PENDING_CREATE or
     *     PENDING_UPDATE, as Octavia shows a change the amphora has not applied): the load balancer is
     *     PENDING_UPDATE while there are any
     */
    public LoadBalancerView view(Map<String, String> listenerErrors, Map<String, ProvisioningStatus> binding) {
      return new LoadBalancerView(info, version,
          binding.isEmpty() ? ProvisioningStatus.ACTIVE : ProvisioningStatus.PENDING_UPDATE,
          operating(listenerErrors).status());
    }
    public List<Child> all(Kind kind) {
      var out = new ArrayList<Child>();
      for (Child c : children.values()) if (c.kind() == kind) out.add(c);
      return out;
    }

    public Usage usage() {
      Usage u = Usage.NONE;
      for (Child c : children.values()) u = u.plus(Usage.one(c.kind()));
      return u;
    }

    public ChildView view(Child c) {
      return view(c, Map.of());
    }

    public ChildView view(Child c, Map<String, String> listenerErrors) {
      return view(c, listenerErrors, Map.of());
    }

    /** @param binding see {@link #view(Map, Map)} */
    public ChildView view(Child c, Map<String, String> listenerErrors, Map<String, ProvisioningStatus> binding) {
      Status st = operating(c, listenerErrors);
      return new ChildView(c, binding.getOrDefault(c.id(), ProvisioningStatus.ACTIVE), st.status(), st.reason());
    }

    /** An operating status and, when it is not plain ONLINE or OFFLINE, why. */
    public record Status(OperatingStatus status, String reason) {
      static Status of(OperatingStatus s) {
        return new Status(s, "");
      }
    }

    /**
     * Operating status, as Octavia reports it, from configuration, the journaled health transitions and the data
     * plane's listener reports:
     * <ul>
     *   <li>backend: OFFLINE when it, its pool or the load balancer is administratively down; ERROR when its pool's
     *       health check has taken it down; DRAINING at weight 0; NO_MONITOR without an enabled health check;
     *       else ONLINE (a backend is trusted until its checks fail, as HAProxy does);
     *   <li>pool: ERROR when no enabled backend is up (or none is enabled), DEGRADED when some are down;
     *   <li>listener: ERROR when it cannot bind, DEGRADED when its default pool is DEGRADED or ERROR;
     *   <li>load balancer: ERROR when every enabled listener is in ERROR, DEGRADED when any is DEGRADED or ERROR.
     * </ul>
     */
    public Status operating(Child c, Map<String, String> listenerErrors) {
      boolean up = c.adminStateUp() && info.adminStateUp();
      if (c instanceof Backend b) {
        Child pool = children.get(b.poolId());
        if (!up || (pool != null && !pool.adminStateUp())) return Status.of(OperatingStatus.OFFLINE);
        Health h = health.get(b.id());
        boolean monitored = monitored(pool);
        if (monitored && h != null && !h.up()) return new Status(OperatingStatus.ERROR, h.reason());
        if (b.weight() == 0) return new Status(OperatingStatus.DRAINING, "weight 0");
        return Status.of(monitored ? OperatingStatus.ONLINE : OperatingStatus.NO_MONITOR);
      }
      if (!up) return Status.of(OperatingStatus.OFFLINE);
      if (c instanceof Pool p) {
        int enabled = 0, down = 0;
        for (Child other : children.values()) {
          if (other instanceof Backend b && b.poolId().equals(p.id()) && b.adminStateUp()) {
            enabled++;
            if (operating(b, listenerErrors).status() == OperatingStatus.ERROR) down++;
          }
        }
        if (enabled == 0) return new Status(OperatingStatus.ERROR, "no enabled backend");
        if (down == enabled) return new Status(OperatingStatus.ERROR, "every backend is down");
        if (down > 0) return new Status(OperatingStatus.DEGRADED, down + " of " + enabled + " backends down");
        return Status.of(OperatingStatus.ONLINE);
      }
      if (c instanceof Listener l) {
        String error = listenerErrors.get(l.id());
        if (error != null) return new Status(OperatingStatus.ERROR, error);
        Child pool = l.defaultPoolId().isEmpty() ? null : children.get(l.defaultPoolId());
        if (pool == null) return new Status(OperatingStatus.DEGRADED, "no default pool: connections are closed");
        Status ps = operating(pool, listenerErrors);
        if (ps.status() == OperatingStatus.OFFLINE) return new Status(OperatingStatus.DEGRADED, "default pool is disabled");
        if (ps.status() == OperatingStatus.ERROR || ps.status() == OperatingStatus.DEGRADED) {
          return new Status(OperatingStatus.DEGRADED, "default pool: " + ps.reason());
        }
      }
      return Status.of(OperatingStatus.ONLINE);
    }

    /** The load balancer's own operating status, from its enabled listeners. */
    public Status operating(Map<String, String> listenerErrors) {
      if (!info.adminStateUp()) return Status.of(OperatingStatus.OFFLINE);
      int enabled = 0, error = 0, degraded = 0;
      for (Child c : children.values()) {
        if (!(c instanceof Listener) || !c.adminStateUp()) continue;
        enabled++;
        OperatingStatus s = operating(c, listenerErrors).status();
        if (s == OperatingStatus.ERROR) error++;
        else if (s == OperatingStatus.DEGRADED) degraded++;
      }
      if (enabled > 0 && error == enabled) return new Status(OperatingStatus.ERROR, "no listener can serve");
      if (error + degraded > 0) return new Status(OperatingStatus.DEGRADED, (error + degraded) + " of " + enabled
          + " listeners degraded or in error");
      return Status.of(OperatingStatus.ONLINE);
    }

    /** Whether the pool's backends are health checked: it names a health check that is enabled. */
    public boolean monitored(Child pool) {
      if (!(pool instanceof Pool p) || p.healthCheckId().isEmpty()) return false;
      Child hc = children.get(p.healthCheckId());
      return hc != null && hc.adminStateUp();
    }

    /** Where a backend is probed: its monitor port, or its service port. */
    static int probePort(Backend b) {
      return b.monitorPort() > 0 ? b.monitorPort() : b.protocolPort();
    }

    // ------------------------------------------------------------ rules that need the whole tree

    @Override
    public String lbId() {
      return info.id();
    }

    /**
     * Uniqueness and references of a child about to be written; {@code before} is null on create. Names are unique
     * per kind here; the rest is the kind's own ({@link Child#checkTree}).
     */
    public Optional<Rejection> checkTree(Child candidate, Child before) {
      String field = candidate.kind().field;
      for (Child other : children.values()) {
        if (other.id().equals(candidate.id()) || other.kind() != candidate.kind()) continue;
        if (!candidate.name().isEmpty() && candidate.name().equals(other.name())) {
          return Optional.of(Rejection.exists(field + ".name: '" + candidate.name() + "' is already used by "
              + candidate.kind().noun() + " " + other.id() + " in this load balancer"));
        }
      }
      return candidate.checkTree(this, before);
    }

    /** A child that another one refers to stays until the user lets go of it (its own dependents aside). */
    public Optional<Rejection> checkDelete(Child c) {
      var going = new HashSet<>(dependents(c));
      going.add(c.id());
      for (Child other : children.values()) {
        if (going.contains(other.id())) continue;
        Optional<Rejection> held = other.holds(c);
        if (held.isPresent()) return held;
      }
      return Optional.empty();
    }

    /**
     * Ids of the children deleted along with {@code c}: those that live in it, and theirs (a pool's backends, a
     * listener's L7 policies and their rules), in creation order.
     */
    public List<String> dependents(Child c) {
      var gone = new HashSet<String>();
      gone.add(c.id());
      boolean grew = true;
      while (grew) {
        grew = false;
        for (Child other : children.values()) {
          if (!other.parentId().isEmpty() && gone.contains(other.parentId()) && gone.add(other.id())) grew = true;
        }
      }
      var out = new ArrayList<String>();
      for (Child other : children.values()) if (!other.id().equals(c.id()) && gone.contains(other.id())) out.add(other.id());
      return out;
    }
  }

  /**
   * Deleted; history stays in the journal. {@code cleanedUp} once the VIP and the name were given back.
   *
   * @param requestId the delete request, for the event the system writes to finish it
   */
  record Deleted(LoadBalancerInfo info, long version, boolean cleanedUp, String requestId) implements LoadBalancerState {
    public Deleted {
      requestId = requestId == null ? "" : requestId;
    }

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      if (event instanceof LoadBalancerEvent.CleanedUp) return new Deleted(info, version, true, requestId);
      if (event instanceof LoadBalancerEvent.RolledBack e) return Rollback.restored(this, e);
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " after delete");
    }
  }
}
