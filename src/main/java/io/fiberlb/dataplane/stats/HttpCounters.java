package io.fiberlb.dataplane.stats;

import java.util.concurrent.atomic.LongAdder;

/**
 * HTTP requests of one listener or one backend, written by the HTTP engine without locks and read by the metrics
 * endpoint: answered requests by status class (1xx..5xx, local answers such as 403, 503 and 504 included) and a
 * histogram of request durations (from the request's head to the response's end).
 */
public final class HttpCounters {
  /** Upper bounds of the duration buckets, in seconds (Prometheus' defaults); +Inf follows. */
  public static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  private static final long[] BUCKET_NANOS = new long[BUCKETS.length];

  static {
    for (int i = 0; i < BUCKETS.length; i++) BUCKET_NANOS[i] = (long) (BUCKETS[i] * 1e9);
  }

  private final LongAdder[] byClass = adders(5);
  /** Per bucket, not cumulative; the last is above the largest bound. */
  private final LongAdder[] buckets = adders(BUCKETS.length + 1);
  private final LongAdder durationNanos = new LongAdder();

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) a[i] = new LongAdder();
    return a;
  }

  /** One request answered with {@code status} after {@code nanos}. */
  public void record(int status, long nanos) {
    int c = status / 100 - 1;
    if (c >= 0 && c < 5) byClass[c].increment();
    int b = 0;
    while (b < BUCKET_NANOS.length && nanos > BUCKET_NANOS[b]) b++;
    buckets[b].increment();
    durationNanos.add(nanos);
  }

  /** Requests answered with a status of class {@code klass} (1 for 1xx .. 5 for 5xx). */
  public long answered(int klass) {
    return byClass[klass - 1].sum();
  }

  /** Requests in total. */
  public long count() {
    long n = 0;
    for (LongAdder b : buckets) n += b.sum();
    return n;
  }

  /** Counts per bucket (not cumulative), the one above the largest bound last. */
  public long[] bucketCounts() {
    long[] out = new long[buckets.length];
    for (int i = 0; i < buckets.length; i++) out[i] = buckets[i].sum();
    return out;
  }

  /** Cumulative counts per bucket bound, +Inf last (as Prometheus exposes them). */
  public long[] cumulativeBuckets() {
    long[] out = new long[buckets.length];
    long n = 0;
    for (int i = 0; i < buckets.length; i++) {
      n += buckets[i].sum();
      out[i] = n;
    }
    return out;
  }

  public double durationSeconds() {
    return durationNanos.sum() / 1e9;
  }
}
