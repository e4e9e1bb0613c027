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
        return new Creating(e.info(), e.requestedVip(), attempts, e.meta().requestId());
      }
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " before creation");
    }
  }

  /**
   * Accepted; the project registration and the VIP allocation are under way (and resumed after a crash).
   *
   * @param requestId the request that asked for it, for the events the system writes to finish it
   */
  record Creating(LoadBalancerInfo info, String requestedVip, int attempts, String requestId)
      implements LoadBalancerState {
    public Creating {
      requestId = requestId == null ? "" : requestId;
    }

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      if (event instanceof LoadBalancerEvent.Created e) {
        var lb = new LoadBalancerInfo(info.id(), info.orgId(), info.projectId(), info.name(), info.description(),
            e.vipAddress(), e.vipPool(), info.adminStateUp(), info.tags(), e.meta().at(), e.meta().at());
        return new Active(lb, 1, Map.of(), Map.of());
      }
      if (event instanceof LoadBalancerEvent.CreationFailed) return new NotCreated(attempts + 1);
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " while creating");
    }

    public LoadBalancerView view() {
      return new LoadBalancerView(info, 0, ProvisioningStatus.PENDING_CREATE, OperatingStatus.OFFLINE);
    }
  }

  /**
   * A live load balancer and all its children, in creation order.
   *
   * @param requestIds client idempotency keys of child creates, to the id each created
   */
  record Active(LoadBalancerInfo info, long version, Map<String, Child> children, Map<String, String> requestIds)
      implements LoadBalancerState {

    @Override
    public LoadBalancerState apply(LoadBalancerEvent event) {
      long next = version + 1;
      if (event instanceof LoadBalancerEvent.Updated e) {
        var lb = new LoadBalancerInfo(info.id(), info.orgId(), info.projectId(), e.name(), e.description(),
            info.vipAddress(), info.vipPool(), e.adminStateUp(), e.tags(), info.createdAt(), e.meta().at());
        return new Active(lb, next, children, requestIds);
      }
      if (event instanceof ChildCreated e) {
        var kids = new LinkedHashMap<>(children);
        kids.put(e.child().id(), e.child());
        Map<String, String> ids = requestIds;
        if (!e.requestId().isEmpty()) {
          ids = new LinkedHashMap<>(requestIds);
          ids.put(e.requestId(), e.child().id());
        }
        return new Active(info, next, kids, ids);
      }
      if (event instanceof ChildUpdated e) {
        var kids = new LinkedHashMap<>(children);
        kids.put(e.child().id(), e.child());
        return new Active(info, next, kids, requestIds);
      }
      if (event instanceof ChildDeleted e) {
        var gone = new HashSet<>(e.removedChildIds());
        gone.add(e.id());
        var kids = new LinkedHashMap<>(children);
        kids.keySet().removeAll(gone);
        var ids = new LinkedHashMap<>(requestIds);
        ids.values().removeAll(gone);
        return new Active(info, next, kids, ids);
      }
      if (event instanceof LoadBalancerEvent.Deleted e) return new Deleted(info, next, false, e.meta().requestId());
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " on an active load balancer");
    }

    // ------------------------------------------------------------ reads

    public LoadBalancerView view() {
      return new LoadBalancerView(info, version, ProvisioningStatus.ACTIVE,
          info.adminStateUp() ? OperatingStatus.ONLINE : OperatingStatus.OFFLINE);
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

    /**
     * Operating status before the data plane reports health: administratively down is OFFLINE (and so is a
     * child of a load balancer that is down), a backend with weight 0 is DRAINING, other backends NO_MONITOR.
     */
    public ChildView view(Child c) {
      OperatingStatus op;
      if (!c.adminStateUp() || !info.adminStateUp()) op = OperatingStatus.OFFLINE;
      else if (c instanceof Backend b) op = b.weight() == 0 ? OperatingStatus.DRAINING : OperatingStatus.NO_MONITOR;
      else op = OperatingStatus.ONLINE;
      return new ChildView(c, ProvisioningStatus.ACTIVE, op);
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
        if (candidate instanceof Listener l && ((Listener) other).protocolPort() == l.protocolPort()) {
          return Optional.of(Rejection.exists("listener.protocol_port: port " + l.protocolPort()
              + " is already used by listener " + other.id() + " on this load balancer"));
        }
        if (candidate instanceof Backend b && other instanceof Backend o && o.poolId().equals(b.poolId())
            && o.address().equalsIgnoreCase(b.address()) && o.protocolPort() == b.protocolPort()) {
          return Optional.of(Rejection.exists("backend.address: " + b.address() + ":" + b.protocolPort()
              + " is already backend " + o.id() + " of pool " + b.poolId()));
        }
      }
      if (candidate instanceof Listener l && !l.defaultPoolId().isEmpty() && find(Kind.POOL, l.defaultPoolId()).isEmpty()) {
        return Optional.of(Rejection.notFound("listener.default_pool_id: no pool " + l.defaultPoolId()
            + " in load balancer " + info.id()));
      }
      if (candidate instanceof Pool p && !p.healthCheckId().isEmpty() && find(Kind.HEALTH_CHECK, p.healthCheckId()).isEmpty()) {
        return Optional.of(Rejection.notFound("pool.health_check_id: no health check " + p.healthCheckId()
            + " in load balancer " + info.id()));
      }
      return Optional.empty();
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
      throw new IllegalStateException("unexpected " + event.getClass().getSimpleName() + " after delete");
    }
  }
}
