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
import io.fiberlb.controlplane.model.Enums.HealthCheckType;
import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.controlplane.model.HealthCheck;
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
      implements LoadBalancerState {

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
        var kids = new LinkedHashMap<>(children);
        kids.put(e.child().id(), e.child());
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
        var kids = new LinkedHashMap<>(children);
        kids.put(e.child().id(), e.child());
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
        return new Active(info, next, kids, ids, h, hashes);
      }
      if (event instanceof LoadBalancerEvent.Deleted e) return new Deleted(info, next, false, e.meta().requestId());
      if (event instanceof LoadBalancerEvent.RolledBack e) return Rollback.apply(this, e);
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " on an active load balancer");
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
    public Optional<Child> find(Kind kind, String id) {
      Child c = children.get(id);
      return c != null && c.kind() == kind ? Optional.of(c) : Optional.empty();
    }

    public List<Child> all(Kind kind) {
      var out = new ArrayList<Child>();
      for (Child c : children.values()) if (c.kind() == kind) out.add(c);
      return out;
    }

    public Usage usage() {
      int l = 0, p = 0, b = 0, h = 0;
      for (Child c : children.values()) {
        switch (c.kind()) {
          case LISTENER -> l++;
          case POOL -> p++;
          case BACKEND -> b++;
          case HEALTH_CHECK -> h++;
        }
      }
      return new Usage(l, p, b, h);
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

    /** Uniqueness and references of a child about to be written; {@code before} is null on create. */
    public Optional<Rejection> checkTree(Child candidate, Child before) {
      String field = candidate.kind().field;
      for (Child other : children.values()) {
        if (other.id().equals(candidate.id()) || other.kind() != candidate.kind()) continue;
        if (!candidate.name().isEmpty() && candidate.name().equals(other.name())) {
          return Optional.of(Rejection.exists(field + ".name: '" + candidate.name() + "' is already used by "
              + field.replace('_', ' ') + " " + other.id() + " in this load balancer"));
        }
        // One listener per (transport, port): a TCP and a UDP listener may share a port number, as in Octavia.
        if (candidate instanceof Listener l && other instanceof Listener o && o.protocolPort() == l.protocolPort()
            && o.protocol().datagram() == l.protocol().datagram()) {
          return Optional.of(Rejection.exists("listener.protocol_port: port " + l.protocolPort()
              + " is already used by listener " + other.id() + " on this load balancer ("
              + (l.protocol().datagram() ? "UDP" : "TCP") + ")"));
        }
        if (candidate instanceof Backend b && other instanceof Backend o && o.poolId().equals(b.poolId())
            && o.address().equalsIgnoreCase(b.address()) && o.protocolPort() == b.protocolPort()) {
          return Optional.of(Rejection.exists("backend.address: " + b.address() + ":" + b.protocolPort()
              + " is already backend " + o.id() + " of pool " + b.poolId()));
        }
      }
      if (candidate instanceof Listener l && !l.defaultPoolId().isEmpty()) {
        Optional<Child> pool = find(Kind.POOL, l.defaultPoolId());
        if (pool.isEmpty()) {
          return Optional.of(Rejection.notFound("listener.default_pool_id: no pool " + l.defaultPoolId()
              + " in load balancer " + info.id()));
        }
        Protocol pp = ((Pool) pool.get()).protocol();
        if (pp != l.protocol()) { // Octavia: ListenerPoolProtocolMismatch, 409
          return Optional.of(Rejection.precondition("listener.default_pool_id: pool " + l.defaultPoolId() + " is a "
              + pp + " pool; a " + l.protocol() + " listener needs a " + l.protocol() + " pool"));
        }
      }
      if (candidate instanceof Pool p && !p.healthCheckId().isEmpty()) {
        Optional<Child> hc = find(Kind.HEALTH_CHECK, p.healthCheckId());
        if (hc.isEmpty()) {
          return Optional.of(Rejection.notFound("pool.health_check_id: no health check " + p.healthCheckId()
              + " in load balancer " + info.id()));
        }
        HealthCheckType type = ((HealthCheck) hc.get()).type();
        if (!type.probes(p.protocol())) {
          return Optional.of(Rejection.precondition("pool.health_check_id: health check " + p.healthCheckId()
              + " is " + type + ", which cannot probe a " + p.protocol() + " pool (" + fitting(p.protocol()) + ")"));
        }
      }
      if (candidate instanceof HealthCheck h) {
        for (Child other : children.values()) {
          if (other instanceof Pool p && p.healthCheckId().equals(h.id()) && !h.type().probes(p.protocol())) {
            return Optional.of(Rejection.precondition("health_check.type: " + h.type() + " cannot probe " + p.protocol()
                + " pool " + p.id() + ", which uses this health check (" + fitting(p.protocol()) + ")"));
          }
        }
      }
      return Optional.empty();
    }

    /** The health check types a pool of {@code protocol} takes, for error messages. */
    private static String fitting(Protocol protocol) {
      return protocol == Protocol.UDP ? "a UDP pool takes UDP_CONNECT" : "a " + protocol + " pool takes TCP or HTTP";
    }

    /** A pool that a listener uses, or a health check that a pool uses, stays until the user lets go of it. */
    public Optional<Rejection> checkDelete(Child c) {
      for (Child other : children.values()) {
        if (c.kind() == Kind.POOL && other instanceof Listener l && l.defaultPoolId().equals(c.id())) {
          return Optional.of(Rejection.precondition("pool " + c.id() + " is the default pool of listener " + l.id()
              + "; change the listener's default_pool_id or delete the listener first"));
        }
        if (c.kind() == Kind.HEALTH_CHECK && other instanceof Pool p && p.healthCheckId().equals(c.id())) {
          return Optional.of(Rejection.precondition("health check " + c.id() + " is used by pool " + p.id()
              + "; change the pool's health_check_id or delete the pool first"));
        }
      }
      return Optional.empty();
    }

    /** Ids of the children deleted along with {@code c}: a pool takes its backends with it. */
    public List<String> dependents(Child c) {
      var out = new ArrayList<String>();
      if (c.kind() == Kind.POOL) {
        for (Child other : children.values()) {
          if (other instanceof Backend b && b.poolId().equals(c.id())) out.add(b.id());
        }
      }
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
