package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Rendezvous;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * SOURCE_IP and SOURCE_IP_PORT: weighted rendezvous hashing of the client key ({@link Rendezvous} says how and why
 * it moves the fewest clients on a change). Endpoints are ordered by key, so the input order changes nothing.
 */
final class RendezvousBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final List<Endpoint> candidates;
  private final Rendezvous scores;
  private final boolean withPort;

  RendezvousBalancer(List<Endpoint> eligible, boolean withPort) {
    List<Endpoint> sorted = new ArrayList<>(eligible);
    sorted.sort(Comparator.comparing(Endpoint::key));
    this.candidates = List.copyOf(sorted);
    this.endpoints = candidates.toArray(new Endpoint[0]);
    String[] keys = new String[endpoints.length];
    int[] weights = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      keys[i] = endpoints[i].key();
      weights[i] = endpoints[i].weight();
    }
    this.scores = new Rendezvous(keys, weights);
    this.withPort = withPort;
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    return endpoints[scores.pick(withPort ? key.addressPortHash() : key.addressHash())];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  @Override
  public String toString() {
    return (withPort ? "SourceIpPort" : "SourceIp") + candidates;
  }
}
