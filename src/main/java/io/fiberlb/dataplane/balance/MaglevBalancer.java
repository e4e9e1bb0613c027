package io.fiberlb.dataplane.balance;

import io.fiberlb.balance.Hashing;
import io.fiberlb.balance.MaglevTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * MAGLEV: a pick is one read of the pool's {@link MaglevTable} (how the table is built and why it moves few flows
 * on a change is written there), keyed on the client address and port: O(1), no allocation.
 */
final class MaglevBalancer implements Balancer {
  private final Endpoint[] endpoints;
  private final List<Endpoint> candidates;
  private final int[] table;

  private MaglevBalancer(Endpoint[] endpoints, int[] table) {
    this.endpoints = endpoints;
    this.candidates = List.of(endpoints);
    this.table = table;
  }

  /** The table over {@code eligible} (all of weight above 0, keys unique); the input order does not matter. */
  static MaglevBalancer build(List<Endpoint> eligible, int tableSize) {
    MaglevTable.checkSize(tableSize);
    List<Endpoint> sorted = new ArrayList<>(eligible);
    sorted.sort(Comparator.comparing(Endpoint::key));
    Endpoint[] endpoints = sorted.toArray(new Endpoint[0]);
    String[] keys = new String[endpoints.length];
    int[] weights = new int[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      keys[i] = endpoints[i].key();
      weights[i] = endpoints[i].weight();
    }
    return new MaglevBalancer(endpoints, MaglevTable.build(keys, weights, tableSize));
  }

  @Override
  public Endpoint pick(ConnectionKey key) {
    return endpoints[table[Hashing.reduce(key.addressPortHash(), table.length)]];
  }

  @Override
  public List<Endpoint> candidates() {
    return candidates;
  }

  int tableSize() {
    return table.length;
  }

  /** The key of the endpoint owning each slot: what two nodes must agree on. */
  String[] slotOwners() {
    String[] owners = new String[table.length];
    for (int s = 0; s < table.length; s++) owners[s] = endpoints[table[s]].key();
    return owners;
  }

  @Override
  public String toString() {
    return "Maglev(M=" + table.length + ")" + candidates;
  }
}
