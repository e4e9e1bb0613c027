package io.fiberlb.dataplane.balance;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** ROUND_ROBIN: each eligible endpoint in turn, in configuration order, whatever its weight. */
final class RoundRobinBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final List<Endpoint> candidates;
  private final AtomicLong sequence;

  RoundRobinBalancer(List<Endpoint> eligible, AtomicLong sequence) {
    this.candidates = List.copyOf(eligible);
    this.endpoints = candidates.toArray(new Endpoint[0]);
    this.sequence = sequence;
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    // A long never wraps in practice, so the rotation has no seam.
    return endpoints[Math.floorMod(sequence.getAndIncrement(), endpoints.length)];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  @Override
  public String toString() {
    return "RoundRobin" + candidates;
  }
}
