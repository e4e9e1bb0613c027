package io.fiberlb.balance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Which endpoints of a pool may take new connections: those that accept them (healthy, weight above 0) among the
 * primaries, or when no primary does, among the backups. The data plane's balancers and the control plane's
 * disruption estimate both apply this one rule.
 */
public final class Eligibility {
  private Eligibility() {}

  /** The eligible items of {@code all}, in input order. */
  public static <T> List<T> eligible(List<T> all, Predicate<T> acceptsNewConnections, Predicate<T> backup) {
    List<T> primaries = new ArrayList<>();
    List<T> backups = new ArrayList<>();
    for (T e : all) {
      if (!acceptsNewConnections.test(e)) continue;
      (backup.test(e) ? backups : primaries).add(e);
    }
    return List.copyOf(primaries.isEmpty() ? backups : primaries);
  }
}
