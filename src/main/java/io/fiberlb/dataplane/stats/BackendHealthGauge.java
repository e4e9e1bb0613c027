package io.fiberlb.dataplane.stats;

import java.util.concurrent.atomic.LongAdder;

/** A backend's health as its checker sees it, and how long its probes take. */
public final class BackendHealthGauge {
  public static final int UNKNOWN = -1;
  public static final int DOWN = 0;
  public static final int UP = 1;

  /** {@link #UP}, {@link #DOWN}, or {@link #UNKNOWN} when the backend's pool has no health check. */
  public volatile int state = UNKNOWN;
  public final LongAdder probes = new LongAdder();
  public final LongAdder probeFailures = new LongAdder();
  /** Sum of probe latencies, in nanoseconds: with {@link #probes}, the mean. */
  public final LongAdder probeNanos = new LongAdder();
  public volatile long lastProbeNanos;

  public void probed(boolean ok, long nanos) {
    probes.increment();
    if (!ok) probeFailures.increment();
    probeNanos.add(nanos);
    lastProbeNanos = nanos;
  }
}
