package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Hashing;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * Session persistence SOURCE_IP: remembers which endpoint each client address was sent to, so that its next
 * connections within {@code timeout} of the last one go to the same endpoint (see {@link PoolBalancer}).
 *
 * <p>Bounded and lock-free: a fixed array of {@link #capacity()} slots in sets of {@value #WAYS}; a client
 * address hashes to one set and can only live there. A new client takes an empty slot of its set, else an
 * expired one, else the one seen least recently, so a full table forgets its idlest clients first (within the
 * set) and never grows. Slots change by compare-and-set; refreshing the last-seen time of a known client is one
 * volatile write, and only when the time moved. Two first connections of one client racing each other agree on the
 * endpoint whoever records first (the other reads it back), except for the rare case where both land in different
 * empty slots of the set at once: then the one in the lower slot is used from then on and the other expires.
 *
 * <p>Times come from an injectable nanosecond clock ({@link System#nanoTime()} by default), so tests step time.
 */
public final class AffinityTable {
  static final int WAYS = 8;

  private final AtomicReferenceArray<Entry> slots;
  private final int sets;
  private final long timeoutNanos;
  private final Duration timeout;
  private final LongSupplier nanoClock;

  private static final class Entry {
    final long clientHash; // compared first: most slots of a set hold other clients, and this needs no pointer chase
    final InetAddress client;
    final String endpointKey;
    volatile long lastSeen;

    Entry(ConnectionKey key, String endpointKey, long lastSeen) {
      this.clientHash = key.addressHash();
      this.client = key.clientAddress();
      this.endpointKey = endpointKey;
      this.lastSeen = lastSeen;
    }

    boolean isFor(ConnectionKey key) {
      return clientHash == key.addressHash() && client.equals(key.clientAddress());
    }
  }

  private AffinityTable(Duration timeout, int maxEntries, LongSupplier nanoClock) {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
    if (maxEntries < 1) throw new IllegalArgumentException("maxEntries must be at least 1");
    this.timeout = timeout;
    this.timeoutNanos = timeout.toNanos();
    this.sets = (int) Math.min(((long) maxEntries + WAYS - 1) / WAYS, Integer.MAX_VALUE / WAYS);
    this.slots = new AtomicReferenceArray<>(sets * WAYS);
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /** A table for about {@code maxEntries} clients (rounded up to a multiple of {@value #WAYS}). */
  public static AffinityTable create(Duration timeout, int maxEntries) {
    return new AffinityTable(timeout, maxEntries, System::nanoTime);
  }

  /** As {@link #create(Duration, int)}, reading time from {@code nanoClock} (monotonic nanoseconds). */
  public static AffinityTable create(Duration timeout, int maxEntries, LongSupplier nanoClock) {
    return new AffinityTable(timeout, maxEntries, nanoClock);
  }

  public Duration timeout() {
    return timeout;
  }

  /** The most clients the table ever holds. */
  public int capacity() {
    return slots.length();
  }

  /** Clients currently remembered and not expired (a scan: for tests and metrics, not the hot path). */
  public int size() {
    long now = now();
    int live = 0;
    for (int i = 0; i < slots.length(); i++) {
      Entry e = slots.get(i);
      if (e != null && !expired(e, now)) live++;
    }
    return live;
  }

  long now() {
    return nanoClock.getAsLong();
  }

  private boolean expired(Entry e, long now) {
    return now - e.lastSeen >= timeoutNanos;
  }

  private int firstSlot(ConnectionKey key) {
    return Hashing.reduce(key.addressHash(), sets) * WAYS;
  }

  /** The endpoint key remembered for this client, refreshing its last-seen time; null if none or expired. */
  String lookup(ConnectionKey key, long now) {
    int base = firstSlot(key);
    for (int i = base; i < base + WAYS; i++) {
      Entry e = slots.get(i);
      if (e == null || !e.isFor(key)) continue;
      if (expired(e, now)) return null;
      if (now - e.lastSeen > 0) e.lastSeen = now;
      return e.endpointKey;
    }
    return null;
  }

  /**
   * Remembers that this client went to {@code endpointKey}, unless another connection of the same client recorded
   * a different endpoint meanwhile: then that one is kept and returned. {@code replacing} is the (no longer
   * eligible) endpoint key the caller's {@link #lookup} returned, or null; an entry still naming it is overwritten.
   * Returns the endpoint key the table now holds for the client.
   */
  String remember(ConnectionKey key, String endpointKey, String replacing, long now) {
    Entry fresh = new Entry(key, endpointKey, now);
    int base = firstSlot(key);
    for (int attempt = 0; attempt < 4; attempt++) {
      int same = -1;
      int empty = -1;
      int expired = -1;
      int oldest = -1;
      Entry sameEntry = null;
      Entry expiredEntry = null;
      Entry oldestEntry = null;
      for (int i = base; i < base + WAYS; i++) {
        Entry e = slots.get(i);
        if (e == null) {
          if (empty < 0) empty = i;
        } else if (e.isFor(key)) {
          same = i;
          sameEntry = e;
          break;
        } else if (expired(e, now)) {
          if (expired < 0) {
            expired = i;
            expiredEntry = e;
          }
        } else if (oldest < 0 || e.lastSeen - oldestEntry.lastSeen < 0) {
          oldest = i;
          oldestEntry = e;
        }
      }
      if (same >= 0) {
        if (!expired(sameEntry, now) && !sameEntry.endpointKey.equals(replacing)) {
          return sameEntry.endpointKey; // recorded by a racing connection of the same client (or already ours)
        }
        if (slots.compareAndSet(same, sameEntry, fresh)) return endpointKey;
      } else if (empty >= 0) {
        if (slots.compareAndSet(empty, null, fresh)) return endpointKey;
      } else if (expired >= 0) {
        if (slots.compareAndSet(expired, expiredEntry, fresh)) return endpointKey;
      } else if (slots.compareAndSet(oldest, oldestEntry, fresh)) {
        return endpointKey;
      }
    }
    // Lost four races in a row for this set: route this connection as chosen and let a later one record it.
    return endpointKey;
  }
}
