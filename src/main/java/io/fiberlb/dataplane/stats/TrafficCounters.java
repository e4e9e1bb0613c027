package io.fiberlb.dataplane.stats;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live traffic counters of one listener or one backend, written by connection streams without locks and read by
 * the metrics endpoint and {@code GetLoadBalancerStats}. Counters only grow; {@link #active} goes up and down.
 */
public final class TrafficCounters {
  /** Connections open right now. */
  public final AtomicLong active = new AtomicLong();
  /** Connections accepted (listener) or opened (backend) since start. */
  public final LongAdder total = new LongAdder();
  /** Bytes from clients towards backends. */
  public final LongAdder bytesIn = new LongAdder();
  /** Bytes from backends towards clients. */
  public final LongAdder bytesOut = new LongAdder();
  /** Listener: connections closed at once (connection_limit, allowed_cidrs, no eligible backend, listener down). */
  public final LongAdder rejected = new LongAdder();
  /** Backend: connects that failed or timed out. Listener: clients closed because no backend could be reached. */
  public final LongAdder connectFailures = new LongAdder();
  /** Connections that ended in an error (reset, idle timeout, backend failure): Octavia's request_errors. */
  public final LongAdder errors = new LongAdder();
  /**
   * Listener, UDP only: datagrams of admitted flows dropped rather than queued (a socket's send buffer full, or more
   * than a few datagrams arriving while a flow's backend socket is still being set up). UDP may drop; the proxy
   * never buffers without bound.
   */
  public final LongAdder datagramsDropped = new LongAdder();

  public void opened() {
    active.incrementAndGet();
    total.increment();
  }

  public void closed() {
    active.decrementAndGet();
  }
}
