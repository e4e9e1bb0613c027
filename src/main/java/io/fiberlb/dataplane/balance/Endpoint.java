package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.EndpointKey;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One backend as the data plane sees it: where to connect, how much traffic it should get, whether it is a backup,
 * whether its health check currently passes, and how many connections to it are open right now.
 *
 * <p>Everything but the open-connections counter is immutable: a change of weight or health gives a new
 * {@code Endpoint} ({@link #withWeight}, {@link #withHealthy}) that shares the counter of the old one, so a
 * connection opened before the change is still counted, and closed, on the same counter after it. The listener
 * calls {@link #connectionOpened()} when it connects to the endpoint a balancer picked and
 * {@link #connectionClosed()} when that connection ends; least-connections and power-of-two-choices read the count.
 *
 * <p>{@link #key()} ("address:port", or "[v6-address]:port") names the endpoint: it is unique within a pool, is
 * what consistent hashing hashes, and is what session affinity remembers.
 */
public final class Endpoint {
  /** Weights as {@code Backend} allows them: 0 drains (no new connections), 256 is the most. */
  public static final int MIN_WEIGHT = 0;
  public static final int MAX_WEIGHT = 256;

  private final String key;
  private final String address;
  private final int port;
  private final int weight;
  private final boolean backup;
  private final boolean healthy;
  private final AtomicInteger open;

  private Endpoint(String address, int port, int weight, boolean backup, boolean healthy, AtomicInteger open) {
    this.address = Objects.requireNonNull(address, "address");
    if (address.isBlank()) throw new IllegalArgumentException("address must not be blank");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, was " + port);
    if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException("weight must be " + MIN_WEIGHT + ".." + MAX_WEIGHT + ", was " + weight);
    }
    this.port = port;
    this.weight = weight;
    this.backup = backup;
    this.healthy = healthy;
    this.open = open;
    this.key = EndpointKey.of(address, port);
  }

  /** A healthy primary endpoint of weight 1. */
  public static Endpoint of(String address, int port) {
    return new Endpoint(address, port, 1, false, true, new AtomicInteger());
  }

  /** A healthy primary endpoint. */
  public static Endpoint of(String address, int port, int weight) {
    return new Endpoint(address, port, weight, false, true, new AtomicInteger());
  }

  /** A healthy endpoint, primary or backup. */
  public static Endpoint of(String address, int port, int weight, boolean backup) {
    return new Endpoint(address, port, weight, backup, true, new AtomicInteger());
  }

  public String key() {
    return key;
  }

  public String address() {
    return address;
  }

  public int port() {
    return port;
  }

  public int weight() {
    return weight;
  }

  public boolean backup() {
    return backup;
  }

  public boolean healthy() {
    return healthy;
  }

  /** May take new connections if picked: up and not draining (backups are decided per pool, see Balancers). */
  public boolean acceptsNewConnections() {
    return healthy && weight > 0;
  }

  /** Connections to this endpoint open right now, as reported by the callers. */
  public int openConnections() {
    return open.get();
  }

  /** The caller opened a connection to this endpoint. */
  public void connectionOpened() {
    open.incrementAndGet();
  }

  /** The caller closed a connection to this endpoint; an unmatched close is ignored rather than going below 0. */
  public void connectionClosed() {
    int n;
    do {
      n = open.get();
      if (n == 0) return;
    } while (!open.compareAndSet(n, n - 1));
  }

  public Endpoint withWeight(int newWeight) {
    return newWeight == weight ? this : new Endpoint(address, port, newWeight, backup, healthy, open);
  }

  public Endpoint withBackup(boolean newBackup) {
    return newBackup == backup ? this : new Endpoint(address, port, weight, newBackup, healthy, open);
  }

  public Endpoint withHealthy(boolean newHealthy) {
    return newHealthy == healthy ? this : new Endpoint(address, port, weight, backup, newHealthy, open);
  }

  /** This endpoint's configuration and the given health, counting connections on {@code previous}'s counter. */
  Endpoint continuing(Endpoint previous, boolean newHealthy) {
    return previous.open == open && newHealthy == healthy
        ? this
        : new Endpoint(address, port, weight, backup, newHealthy, previous.open);
  }

  boolean sharesCounterWith(Endpoint other) {
    return open == other.open;
  }

  @Override
  public String toString() {
    return key + "{w=" + weight + (backup ? ",backup" : "") + (healthy ? "" : ",down") + ",open=" + open.get() + "}";
  }
}
