package io.fiberlb.port;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;

/**
 * What the data plane tells the control plane about one load balancer: facts it observed, never configuration.
 * Serializable so that a data plane on another node can report the same way.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({
  @JsonSubTypes.Type(value = DataPlaneReport.ListenerStatus.class, name = "listener"),
  @JsonSubTypes.Type(value = DataPlaneReport.HealthTransition.class, name = "health")
})
public sealed interface DataPlaneReport extends CborSerializable {

  /** A listener can serve ({@code error} empty) or cannot, and why (a port already taken). */
  record ListenerStatus(String listenerId, String error) implements DataPlaneReport {}

  /** A health checker moved a backend up or down ({@code reason}: {@code refused}, {@code passed 2 checks}...). */
  record HealthTransition(String backendId, boolean up, String reason) implements DataPlaneReport {}
}
