package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import java.util.List;

/**
 * Everything that ever happened to a load balancer. These shapes are a long-lived contract with the journal:
 * change them only by adding optional fields (see docs/architecture.md, "Events").
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LoadBalancerEvent.CreationStarted.class, name = "LoadBalancerCreationStarted"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.Created.class, name = "LoadBalancerCreated"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.CreationFailed.class, name = "LoadBalancerCreationFailed"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.Updated.class, name = "LoadBalancerUpdated"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.Deleted.class, name = "LoadBalancerDeleted"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.CleanedUp.class, name = "LoadBalancerCleanedUp"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.ChildCreated.class, name = "ChildCreated"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.ChildUpdated.class, name = "ChildUpdated"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.ChildDeleted.class, name = "ChildDeleted"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.BackendHealthChanged.class, name = "BackendHealthChanged"),
  @JsonSubTypes.Type(value = LoadBalancerEvent.RolledBack.class, name = "LoadBalancerRolledBack")
})
public sealed interface LoadBalancerEvent extends CborSerializable {
  EventMeta meta();

  /** Accepted: the name is being registered with the project and a VIP allocated. */
  record CreationStarted(LoadBalancerInfo info, String requestedVip, EventMeta meta, String requestHash)
      implements LoadBalancerEvent {
    /** @param requestHash a digest of the create request's body (null in events written before it was kept) */
    @JsonCreator
    public CreationStarted {}

    public CreationStarted(LoadBalancerInfo info, String requestedVip, EventMeta meta) {
      this(info, requestedVip, meta, null);
    }
  }

  /** The project registration and the VIP are held: the load balancer exists, at version 1. */
  record Created(String vipAddress, String vipPool, EventMeta meta) implements LoadBalancerEvent {}

  /** A create step was refused (name taken, quota, VIP taken); everything it held was given back. */
  record CreationFailed(Rejection reason, EventMeta meta) implements LoadBalancerEvent {}

  /** The load balancer's own writable fields, as they are after the update. */
  record Updated(String name, String description, boolean adminStateUp, List<String> tags, EventMeta meta)
      implements LoadBalancerEvent {}

  /** Gone, with every child listed in {@code removedChildIds} (cascade). The VIP is given back next. */
  record Deleted(boolean cascade, List<String> removedChildIds, EventMeta meta) implements LoadBalancerEvent {}

  /** The VIP and the project registration of a deleted load balancer were given back. */
  record CleanedUp(EventMeta meta) implements LoadBalancerEvent {
    @JsonCreator
    public CleanedUp {}
  }

  /**
   * @param requestId the client's idempotency key, or empty
   * @param requestHash a digest of the create request's body (null in events written before it was kept)
   */
  record ChildCreated(Child child, String requestId, EventMeta meta, String requestHash) implements LoadBalancerEvent {
    @JsonCreator
    public ChildCreated {}

    public ChildCreated(Child child, String requestId, EventMeta meta) {
      this(child, requestId, meta, null);
    }
  }

  /** The child as it is after the update. */
  record ChildUpdated(Child child, EventMeta meta) implements LoadBalancerEvent {}

  /** @param removedChildIds children deleted with it (a pool's backends) */
  record ChildDeleted(Kind kind, String id, List<String> removedChildIds, EventMeta meta) implements LoadBalancerEvent {}

  /**
   * The data plane's health check moved a backend UP or DOWN ({@code reason}: "timeout", "refused", "bad status 503",
   * ...). Written once per transition, never once per probe, with actor {@code system}. Does not bump the tree
   * version: health is not configuration, and a health flap must not fail a client's {@code expected_version}.
   */
  record BackendHealthChanged(String backendId, boolean up, String reason, EventMeta meta) implements LoadBalancerEvent {}

  /**
   * Brought back to the configuration it had at version {@code toVersion}, as one new event (history is never
   * rewritten): a rollback of a live load balancer, or a restore of a deleted one. The diff from version
   * {@code fromVersion}: the load balancer's own fields as they are after it, every child added back or changed as
   * it is after it ({@code children}, with their ids and creation versions of then), and the children taken away.
   * Health is not configuration and is not part of it.
   *
   * @param vipAddress the VIP a restore holds again (the old one, or a new one when asked); empty on a rollback,
   *     which keeps the VIP the load balancer has
   * @param vipPool the range {@code vipAddress} came from; empty on a rollback
   */
  record RolledBack(long fromVersion, long toVersion, String name, String description, boolean adminStateUp,
      List<String> tags, List<Child> children, List<String> removedChildIds, String vipAddress, String vipPool,
      EventMeta meta) implements LoadBalancerEvent {
    @JsonCreator
    public RolledBack {
      vipAddress = vipAddress == null ? "" : vipAddress;
      vipPool = vipPool == null ? "" : vipPool;
    }

    public boolean restore() {
      return !vipAddress.isEmpty();
    }
  }
}
