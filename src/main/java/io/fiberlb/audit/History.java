package io.fiberlb.audit;

import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;

/**
 * Reading a load balancer's history: the version a state stands at, and the names an auditor reads for events.
 * Pure: no actors, no database. (The state at a point: {@link PastStates}; as the API shows it, and differences
 * between two: {@code api.Snapshots}.)
 */
public final class History {
  private History() {}

  /** The tree version a state stands at: what Get showed then. 0 before the load balancer existed. */
  public static long version(LoadBalancerState s) {
    if (s instanceof Active a) return a.version();
    if (s instanceof Deleted d) return d.version();
    return 0;
  }

  /** The type an auditor reads: LoadBalancerCreated, ListenerUpdated, PoolDeleted, ... */
  public static String type(LoadBalancerEvent e) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().kind().typeName + "Created";
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().kind().typeName + "Updated";
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.kind().typeName + "Deleted";
    if (e instanceof LoadBalancerEvent.BackendHealthChanged h) return h.up() ? "BackendUp" : "BackendDown";
    return "LoadBalancer" + e.getClass().getSimpleName();
  }

  public static String resourceKind(LoadBalancerEvent e) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().kind().field;
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().kind().field;
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.kind().field;
    if (e instanceof LoadBalancerEvent.BackendHealthChanged) return "backend";
    return "load_balancer";
  }

  public static String resourceId(LoadBalancerEvent e, String lbId) {
    if (e instanceof LoadBalancerEvent.ChildCreated c) return c.child().id();
    if (e instanceof LoadBalancerEvent.ChildUpdated c) return c.child().id();
    if (e instanceof LoadBalancerEvent.ChildDeleted c) return c.id();
    if (e instanceof LoadBalancerEvent.BackendHealthChanged h) return h.backendId();
    return lbId;
  }
}
