package io.fiberlb.controlplane.model;

import java.util.Map;
import java.util.Optional;

/** The rest of a load balancer's tree, as a child's cross-child rules see it (the entity state implements it). */
public interface Tree {
  /** The load balancer's id, for messages. */
  String lbId();

  /** Every child, in creation order. */
  Map<String, Child> children();

  default Optional<Child> find(Enums.Kind kind, String id) {
    Child c = children().get(id);
    return c != null && c.kind() == kind ? Optional.of(c) : Optional.empty();
  }

  /** The pool a reference names, or why it cannot be used ({@code field}: the reference's field). */
  default Optional<Rejection> missing(Enums.Kind kind, String id, String field) {
    if (id.isEmpty() || find(kind, id).isPresent()) return Optional.empty();
    return Optional.of(Rejection.notFound(field + ": no " + kind.noun() + " " + id + " in load balancer " + lbId()));
  }
}
