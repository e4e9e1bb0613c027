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
  /**
   * Listener with accept_proxy_protocol: client connections closed because their PROXY protocol header was missing,
   * malformed or late (also counted in {@link #rejected}).
   */
  public final LongAdder proxyProtocolErrors = new LongAdder();

  /** HTTP and TERMINATED_HTTPS listeners and their backends: requests by status class and their durations. */
  public final HttpCounters http = new HttpCounters();

  /**
   * What this listener or backend counted before this process served it (an earlier run, another node), read back
   * by {@link TrafficTotals}. GetLoadBalancerStats adds it, as Octavia's cumulative stats do; /metrics does not:
   * Prometheus counters are the process's own, and its rate() and increase() already handle a restart, while a
   * counter that came back lower than its last scrape (a crash loses up to one save interval) would read as a reset
   * and count the whole total again.
   */
  public volatile Before before = Before.NONE;

  /** The totals counted before, one per counter that only grows. */
  public record Before(long connections, long bytesIn, long bytesOut, long rejected, long connectFailures,
      long requestErrors, long droppedDatagrams) {
    public static final Before NONE = new Before(0, 0, 0, 0, 0, 0, 0);
  }

  /** Connections in total, before included. */
  public long totalConnections() {
    return before.connections() + total.sum();
  }

  public long totalBytesIn() {
    return before.bytesIn() + bytesIn.sum();
  }

  public long totalBytesOut() {
    return before.bytesOut() + bytesOut.sum();
  }

  public long totalRejected() {
    return before.rejected() + rejected.sum();
  }

  public long totalConnectFailures() {
    return before.connectFailures() + connectFailures.sum();
  }

  public long totalErrors() {
    return before.requestErrors() + errors.sum();
  }

  public long totalDatagramsDropped() {
    return before.droppedDatagrams() + datagramsDropped.sum();
  }

  public void opened() {
    active.incrementAndGet();
    total.increment();
  }

  public void closed() {
    active.decrementAndGet();
  }

  /** The live counters of this process, for logs and test failures. */
  @Override
  public String toString() {
    return "TrafficCounters[active=" + active.get() + ", total=" + total.sum() + ", rejected=" + rejected.sum()
        + ", connectFailures=" + connectFailures.sum() + "]";
  }
}
