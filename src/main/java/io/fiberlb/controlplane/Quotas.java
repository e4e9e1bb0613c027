package io.fiberlb.controlplane;

import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Usage;

/**
 * Per-project limits; -1 means unlimited. The server's defaults are read from {@code fiberlb.quotas} (application.conf,
 * FIBERLB_QUOTA_*); a project's own ({@link QuotaOverrides}) go over them. Load balancers are counted by the project
 * entity, children by their load balancers ({@link Usage}), certificates by the project's certificate entity.
 */
public record Quotas(int loadBalancers, int listeners, int pools, int backends, int healthChecks, int l7Policies,
    int l7Rules, int certificates) implements CborSerializable {

  public static final Quotas UNLIMITED = new Quotas(-1, -1, -1, -1, -1, -1, -1, -1);

  /** The limits as a Usage, unlimited as Integer.MAX_VALUE, for {@link Usage#fitsWithin}. */
  public Usage childLimits() {
    return new Usage(cap(listeners), cap(pools), cap(backends), cap(healthChecks), cap(l7Policies), cap(l7Rules));
  }

  private static int cap(int limit) {
    return limit < 0 ? Integer.MAX_VALUE : limit;
  }

  public boolean allowsLoadBalancers(int count) {
    return count <= cap(loadBalancers);
  }

  public boolean allowsCertificates(int count) {
    return count <= cap(certificates);
  }
}
