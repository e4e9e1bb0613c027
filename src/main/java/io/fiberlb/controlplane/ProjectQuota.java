package io.fiberlb.controlplane;

import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.EventMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * The quota part of a project's state: the limits set for it, and its latest changes (oldest first, at most
 * {@link #KEEP}; the journal keeps every one), so that GetQuota and ListQuotaChanges answer from memory.
 *
 * @param overrides null in snapshots written before quotas could be set per project
 */
public record ProjectQuota(QuotaOverrides overrides, List<Change> changes) implements CborSerializable {
  static final int KEEP = 100;
  public static final ProjectQuota NONE = new ProjectQuota(QuotaOverrides.NONE, List.of());

  /**
   * One change as the journal holds it.
   *
   * @param type {@code QuotaSet} or {@code QuotaReset}
   * @param set the limits a QuotaSet set; {@link QuotaOverrides#NONE} for a reset
   */
  public record Change(String type, QuotaOverrides set, EventMeta meta) implements CborSerializable {}

  public ProjectQuota {
    overrides = overrides == null ? QuotaOverrides.NONE : overrides;
    changes = changes == null ? List.of() : List.copyOf(changes);
  }

  ProjectQuota set(QuotaOverrides change, EventMeta meta) {
    return new ProjectQuota(overrides.with(change), append(new Change("QuotaSet", change, meta)));
  }

  ProjectQuota reset(EventMeta meta) {
    return new ProjectQuota(QuotaOverrides.NONE, append(new Change("QuotaReset", QuotaOverrides.NONE, meta)));
  }

  private List<Change> append(Change c) {
    var out = new ArrayList<>(changes);
    out.add(c);
    return out.size() > KEEP ? out.subList(out.size() - KEEP, out.size()) : out;
  }
}
