package io.fiberlb.dataplane.balance;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/** Endpoints, clients and counting shared by the balancer tests. */
final class Fixtures {
  private Fixtures() {}

  /** Endpoints 10.0.0.1:8080, 10.0.0.2:8080, ... with the given weights. */
  static List<Endpoint> endpoints(int... weights) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) list.add(Endpoint.of("10.0.0." + (i + 1), 8080, weights[i]));
    return list;
  }

  /** n endpoints 10.0.x.y:8080, weights from {@code weight.apply(i)}. */
  static List<Endpoint> endpoints(int n, IntFunction<Integer> weight) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < n; i++) list.add(Endpoint.of("10.0." + (i / 250) + "." + (i % 250 + 1), 8080, weight.apply(i)));
    return list;
  }

  /** Endpoints whose addresses are the given names ("a", "b", ...), port 80, for readable sequences. */
  static List<Endpoint> named(String names, int... weights) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < names.length(); i++) list.add(Endpoint.of(names.substring(i, i + 1), 80, weights[i]));
    return list;
  }

  static InetAddress ip(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // literals only: no lookup
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** Client number i: a distinct IPv4 address (in 100.64.0.0/10 and beyond), port 40000 + i % 20000. */
  static ConnectionKey client(int i) {
    return ConnectionKey.of(ip(100, 64 + (i >>> 16 & 63), i >>> 8 & 255, i & 255), 40000 + i % 20000);
  }

  /** A random client (any IPv4 address, any ephemeral port). */
  static ConnectionKey randomClient(Random random) {
    int a = random.nextInt();
    return ConnectionKey.of(ip(a >>> 24, a >>> 16 & 255, a >>> 8 & 255, a & 255), 1024 + random.nextInt(64512));
  }

  /** The addresses of the first n picks, for sequence assertions on {@link #named} endpoints. */
  static List<String> sequence(Balancer balancer, int n) {
    List<String> seq = new ArrayList<>();
    ConnectionKey key = client(0);
    for (int i = 0; i < n; i++) seq.add(balancer.pick(key).address());
    return seq;
  }

  /** Picks per endpoint key over {@code n} picks for clients {@code clients.apply(i)}, zero counts included. */
  static Map<String, Integer> count(Balancer balancer, List<Endpoint> all, int n, IntFunction<ConnectionKey> clients) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (Endpoint e : all) counts.put(e.key(), 0);
    for (int i = 0; i < n; i++) counts.merge(balancer.pick(clients.apply(i)).key(), 1, Integer::sum);
    return counts;
  }

  static int totalWeight(List<Endpoint> endpoints) {
    return endpoints.stream().mapToInt(Endpoint::weight).sum();
  }
}
