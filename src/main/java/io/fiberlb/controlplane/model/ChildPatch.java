package io.fiberlb.controlplane.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The writable fields of a child resource, each {@code null} when the caller did not set it. Create applies a
 * patch onto the kind's defaults, update onto the current record: one code path, then one validation. Each kind's
 * patch is the {@code Patch} record in the kind's file.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Listener.Patch.class, name = "listener"),
  @JsonSubTypes.Type(value = Pool.Patch.class, name = "pool"),
  @JsonSubTypes.Type(value = Backend.Patch.class, name = "backend"),
  @JsonSubTypes.Type(value = HealthCheck.Patch.class, name = "health_check"),
  @JsonSubTypes.Type(value = L7Policy.Patch.class, name = "l7policy"),
  @JsonSubTypes.Type(value = L7Rule.Patch.class, name = "l7rule")
})
public sealed interface ChildPatch extends CborSerializable
    permits Listener.Patch, Pool.Patch, Backend.Patch, HealthCheck.Patch, L7Policy.Patch, L7Rule.Patch {
  Enums.Kind kind();

  /** Fields a create must set, by wire name, that this patch leaves unset. */
  List<String> missingForCreate();

  /** The record after this patch, stamped with the new tree version. */
  Child applyTo(Child base, long version, Instant now);

  /** The kind's defaults, the base a create applies its patch onto. */
  static Child defaults(Enums.Kind kind, String id, String parentId, long version, Instant now) {
    return kind.defaults(id, parentId, version, now);
  }

  /** A patch that sets nothing: applying it only restamps version and updatedAt. */
  static ChildPatch empty(Enums.Kind kind) {
    return kind.emptyPatch();
  }

  static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  /** {@code kind.name} of each (name, value) pair whose value is null. */
  static List<String> missing(Enums.Kind kind, Object... nameValuePairs) {
    var out = new ArrayList<String>();
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      if (nameValuePairs[i + 1] == null) out.add(kind.field + "." + nameValuePairs[i]);
    }
    return out;
  }
}
