package io.fiberlb.api.security;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-principal limit on writes: a token bucket (bucket4j) per principal, {@code burst} writes at once and
 * {@code perSecond} a second on average. Buckets of principals that stopped writing are dropped when there are
 * too many, so a flood of distinct names cannot grow memory without bound (a dropped bucket starts full again).
 */
public final class WriteLimiter {
  private static final int MAX_BUCKETS = 100_000;

  private final long perSecond;
  private final long burst;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  public WriteLimiter(long perSecond, long burst) {
    if (perSecond <= 0 || burst <= 0) throw new IllegalArgumentException("writes-per-second and burst must be > 0");
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Empty when the write may go ahead; else how long until it may. */
  public Optional<Duration> tryWrite(String principal) {
    if (buckets.size() > MAX_BUCKETS) buckets.clear();
    Bucket bucket = buckets.computeIfAbsent(principal, k -> Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)).build())
        .build());
    var probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) return Optional.empty();
    return Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
  }
}
