package io.fiberlb.dataplane.l7;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * APP_COOKIE persistence of one pool: application cookie value to the endpoint that set it (learnt from the
 * backend's Set-Cookie) or that last served it. Lock-free (read on every event loop) and bounded: past
 * {@code capacity} entries the expired ones go, then any, so a flood of cookie values cannot grow it without bound.
 */
public final class AppCookieTable {
  /** Kept this long after last use when the pool sets no persistence timeout. */
  static final long DEFAULT_TIMEOUT_MS = 3_600_000;

  private record Entry(String endpointKey, long expiresNanos) {}

  private final Map<String, Entry> byValue = new ConcurrentHashMap<>();
  private final long timeoutNanos;
  private final int capacity;

  public AppCookieTable(long timeoutMs, int capacity) {
    this.timeoutNanos = (timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS) * 1_000_000L;
    this.capacity = capacity;
  }

  /** The endpoint key {@code value} is held by, or null when unknown or expired. */
  public String lookup(String value) {
    Entry e = byValue.get(value);
    if (e == null) return null;
    if (e.expiresNanos - System.nanoTime() < 0) {
      byValue.remove(value, e);
      return null;
    }
    return e.endpointKey;
  }

  /** {@code value} is held by {@code endpointKey} from now on (for the timeout since now). */
  public void remember(String value, String endpointKey) {
    long now = System.nanoTime();
    byValue.put(value, new Entry(endpointKey, now + timeoutNanos));
    if (byValue.size() > capacity) evict(now);
  }

  private void evict(long now) {
    byValue.values().removeIf(e -> e.expiresNanos - now < 0);
    Iterator<String> it = byValue.keySet().iterator();
    while (byValue.size() > capacity && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  public int size() {
    return byValue.size();
  }
}
