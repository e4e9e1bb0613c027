package io.fiberlb.controlplane;

import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums.OperatingStatus;
import io.fiberlb.controlplane.model.Enums.ProvisioningStatus;
import io.fiberlb.controlplane.model.LoadBalancerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Read-only views handed to callers; the entity never hands out its state. */
public final class Views {
  private Views() {}

  public record LoadBalancerView(
      LoadBalancerInfo info, long version, ProvisioningStatus provisioning, OperatingStatus operating)
      implements CborSerializable {}

  /** @param reason why the operating status is what it is, when that needs saying (ERROR, DEGRADED, DRAINING) */
  public record ChildView(Child child, ProvisioningStatus provisioning, OperatingStatus operating, String reason)
      implements CborSerializable {
    public ChildView {
      reason = reason == null ? "" : reason;
    }
  }

  /**
   * A whole load balancer as Get and the child Gets show it: what a dry run shows before and after a change, and
   * what the audit rebuilds at a point of the history.
   *
   * @param lb null when there is no load balancer (not created yet, or its creation failed)
   * @param children in creation order; empty once deleted
   * @param deleted whether it is deleted ({@code lb} then shows it as it was)
   */
  public record TreeView(LoadBalancerView lb, List<ChildView> children, boolean deleted) implements CborSerializable {
    public TreeView {
      children = List.copyOf(children);
    }
  }

  /** The tree of {@code state}, with the data plane's listener reports (empty map: none). */
  public static TreeView tree(LoadBalancerState state, Map<String, String> listenerErrors) {
    if (state instanceof LoadBalancerState.Active a) {
      var children = new ArrayList<ChildView>();
      for (Child c : a.children().values()) children.add(a.view(c, listenerErrors));
      return new TreeView(a.view(listenerErrors), children, false);
    }
    if (state instanceof LoadBalancerState.Deleted d) {
      return new TreeView(new LoadBalancerView(d.info(), d.version(), ProvisioningStatus.DELETED,
          OperatingStatus.OFFLINE), List.of(), true);
    }
    return new TreeView(null, List.of(), false);
  }
}
