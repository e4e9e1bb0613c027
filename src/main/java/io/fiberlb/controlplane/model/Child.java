package io.fiberlb.controlplane.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A resource that lives inside one load balancer. Every kind shares one create/read/update/delete path in the
 * entity; what differs between them is said once, in the kind's own file: its record (fields and defaults), its
 * {@code Patch} (writable fields and what a create must set), its field rules ({@link #check}), its rules against
 * the rest of the tree ({@link #checkTree}) and what it holds that may not be deleted under it ({@link #holds}).
 * {@link Enums.Kind} says the rest: names, parent kind, defaults. The api and cli packages have one file per kind
 * too (wire mapping; flags and columns).
 *
 * <p>{@code version} is the load balancer's tree version at this child's last change; {@code createdVersion} the
 * tree version that created it, unique within the load balancer and used as the stable paging order.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Listener.class, name = "listener"),
  @JsonSubTypes.Type(value = Pool.class, name = "pool"),
  @JsonSubTypes.Type(value = Backend.class, name = "backend"),
  @JsonSubTypes.Type(value = HealthCheck.class, name = "health_check"),
  @JsonSubTypes.Type(value = L7Policy.class, name = "l7policy"),
  @JsonSubTypes.Type(value = L7Rule.class, name = "l7rule")
})
public sealed interface Child extends CborSerializable permits Listener, Pool, Backend, HealthCheck, L7Policy, L7Rule {
  String id();

  String name();

  boolean adminStateUp();

  List<String> tags();

  long version();

  long createdVersion();

  Instant createdAt();

  Instant updatedAt();

  Enums.Kind kind();

  /** The child this one lives in and is deleted with ({@link Enums.Kind#parent}); empty for the top kinds. */
  default String parentId() {
    return "";
  }

  /** The kind's own field rules; {@code before} is the current record on update, null on create. */
  void check(Validation.Check c, Child before);

  /** References and uniqueness against the rest of the tree; {@code before} is null on create. */
  default Optional<Rejection> checkTree(Tree tree, Child before) {
    return Optional.empty();
  }

  /** Why {@code other} may not be deleted while this child refers to it; empty when it does not. */
  default Optional<Rejection> holds(Child other) {
    return Optional.empty();
  }
}
