package io.fiberlb.controlplane.model;

import io.fiberlb.CborSerializable;
import java.util.List;

/** The writable fields of a load balancer; {@code null} = not set by the caller. */
public record LoadBalancerPatch(
    String name, String description, String vipAddress, Boolean adminStateUp, List<String> tags)
    implements CborSerializable {

  public static final LoadBalancerPatch EMPTY = new LoadBalancerPatch(null, null, null, null, null);
}
