package io.fiberlb.controlplane.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * A resource that lives inside one load balancer. The four kinds share one create/read/update/delete path in the
 * entity; what differs between them (fields, defaults, rules) lives in the records and their patches.
 *
 * <p>{@code version} is the load balancer's tree version at this child's last change; {@code createdVersion} the
 * tree version that created it, unique within the load balancer and used as the stable paging order.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Listener.class, name = "listener"),
  @JsonSubTypes.Type(value = Pool.class, name = "pool"),
  @JsonSubTypes.Type(value = Backend.class, name = "backend"),
  @JsonSubTypes.Type(value = HealthCheck.class, name = "health_check")
})
public sealed interface Child extends CborSerializable permits Listener, Pool, Backend, HealthCheck {
  String id();

  String name();

  boolean adminStateUp();

  List<String> tags();

  long version();

  long createdVersion();

  Instant createdAt();

  Instant updatedAt();

  Enums.Kind kind();
}
