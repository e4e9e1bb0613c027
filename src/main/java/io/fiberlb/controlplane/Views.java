package io.fiberlb.controlplane;

import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Child;
import io.fiberlb.controlplane.model.Enums.OperatingStatus;
import io.fiberlb.controlplane.model.Enums.ProvisioningStatus;
import io.fiberlb.controlplane.model.LoadBalancerInfo;

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
}
