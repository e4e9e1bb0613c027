package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The limits set for one project, each null where the project takes the server's default ({@code fiberlb.quotas}).
 * -1 is unlimited, as in Octavia. Also the shape of one SetQuota: the limits it sets, null for those it leaves.
 * Journaled (QuotaSet): {@code l7Policies}, {@code l7Rules} and {@code certificates} came with the L7 quotas and read
 * as null (the default) from older events.
 */
public record QuotaOverrides(Integer loadBalancers, Integer listeners, Integer pools, Integer backends,
    Integer healthChecks, Integer l7Policies, Integer l7Rules, Integer certificates) implements CborSerializable {

  public static final QuotaOverrides NONE = new QuotaOverrides(null, null, null, null, null);

  /** The wire names, in the order of the fields: how messages and {@code overridden} name each limit. */
  public static final List<String> NAMES = List.of("load_balancers", "listeners", "pools", "backends", "health_checks",
      "l7_policies", "l7_rules", "certificates");

  @JsonCreator
  public QuotaOverrides {}

  /** The limits before L7 quotas (the shape of older events). */
  public QuotaOverrides(Integer loadBalancers, Integer listeners, Integer pools, Integer backends,
      Integer healthChecks) {
    this(loadBalancers, listeners, pools, backends, healthChecks, null, null, null);
  }

  private List<Integer> values() {
    var out = new ArrayList<Integer>(NAMES.size());
    out.add(loadBalancers);
    out.add(listeners);
    out.add(pools);
    out.add(backends);
    out.add(healthChecks);
    out.add(l7Policies);
    out.add(l7Rules);
    out.add(certificates);
    return out;
  }

  public boolean isEmpty() {
    return values().stream().allMatch(v -> v == null);
  }

  /** The wire names of the limits set here. */
  public List<String> names() {
    var out = new ArrayList<String>();
    List<Integer> v = values();
    for (int i = 0; i < v.size(); i++) {
      if (v.get(i) != null) out.add(NAMES.get(i));
    }
    return out;
  }

  /** These limits, and {@code defaults} where none is set. */
  public Quotas over(Quotas defaults) {
    return new Quotas(or(loadBalancers, defaults.loadBalancers()), or(listeners, defaults.listeners()),
        or(pools, defaults.pools()), or(backends, defaults.backends()), or(healthChecks, defaults.healthChecks()),
        or(l7Policies, defaults.l7Policies()), or(l7Rules, defaults.l7Rules()),
        or(certificates, defaults.certificates()));
  }

  /** These limits with those {@code change} sets put over them. */
  public QuotaOverrides with(QuotaOverrides change) {
    return new QuotaOverrides(or(change.loadBalancers, loadBalancers), or(change.listeners, listeners),
        or(change.pools, pools), or(change.backends, backends), or(change.healthChecks, healthChecks),
        or(change.l7Policies, l7Policies), or(change.l7Rules, l7Rules), or(change.certificates, certificates));
  }

  /**
   * Why this change cannot be applied, if it cannot: nothing set, or a limit below -1. {@code prefix} is how the
   * caller's message names the fields ({@code quota.}).
   */
  public Optional<Rejection> problem(String prefix) {
    if (isEmpty()) {
      return Optional.of(Rejection.invalid(prefix.isEmpty() ? "quota" : prefix.substring(0, prefix.length() - 1)
          + ": give at least one of " + String.join(", ", NAMES) + " (-1 for unlimited)"));
    }
    List<Integer> v = values();
    for (int i = 0; i < v.size(); i++) {
      if (v.get(i) != null && v.get(i) < -1) {
        return Optional.of(Rejection.invalid(prefix + NAMES.get(i) + ": must be -1 (unlimited) or 0 or more, got "
            + v.get(i)));
      }
    }
    return Optional.empty();
  }

  private static Integer or(Integer value, Integer fallback) {
    return value != null ? value : fallback;
  }

  private static int or(Integer value, int fallback) {
    return value != null ? value : fallback;
  }
}
