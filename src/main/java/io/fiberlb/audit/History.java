package io.fiberlb.audit;

import io.fiberlb.api.Snapshots;
import io.fiberlb.api.v1.Change;
import io.fiberlb.api.v1.LoadBalancerSnapshot;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.Views;
import java.util.List;
import java.util.Map;

/**
 * Reading a load balancer's history: names for events, the state at a point rebuilt with the entity's own event
 * handler ({@link LoadBalancerState#apply}), and differences between two states. Pure: no actors, no database.
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

  /** The whole load balancer as Get and the child Gets returned it in this state. */
  public static LoadBalancerSnapshot snapshot(LoadBalancerState s, long sequenceNr) {
    return Snapshots.of(Views.tree(s, Map.of()), sequenceNr);
  }

  /** What changed from {@code from} to {@code to}: see {@link Snapshots#diff}. */
  public static List<Change> diff(LoadBalancerSnapshot from, LoadBalancerSnapshot to) {
    return Snapshots.diff(from, to);
  }
}
