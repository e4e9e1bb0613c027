package io.fiberlb.controlplane.disruption;

import io.fiberlb.balance.Eligibility;
import io.fiberlb.balance.EndpointKey;
import io.fiberlb.balance.Hashing;
import io.fiberlb.balance.MaglevTable;
import io.fiberlb.balance.Rendezvous;
import io.fiberlb.controlplane.disruption.Disruption.Basis;
import io.fiberlb.controlplane.disruption.Disruption.Fate;
import io.fiberlb.controlplane.disruption.Disruption.Move;
import io.fiberlb.controlplane.disruption.Disruption.OpenConnections;
import io.fiberlb.controlplane.disruption.Disruption.PoolShift;
import io.fiberlb.controlplane.disruption.Disruption.Share;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.port.TrafficStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Works out a {@link Disruption} from what the data plane would run before and after a change, with the data
 * plane's own rules: a pool's eligible backends as the runtime selects them ({@link Eligibility}: enabled load
 * balancer, pool and backend; up by the journaled health when the pool is checked; weight above 0; backups only
 * when no primary is eligible), and the very tables and scores its balancers pick with ({@link MaglevTable},
 * {@link Rendezvous}). Pure: the same inputs give the same answer.
 */
public final class Estimates {
  private Estimates() {}

  /** Moves listed per pool at most, the largest. */
  public static final int MAX_MOVES = 100;
  /** Flows sampled for a hashing pool: fewer for large pools (each sample costs a score per backend). */
  static final int MAX_SAMPLES = 65536;
  static final int MIN_SAMPLES = 8192;
  private static final long SAMPLE_SEED = 0x64727972756e2121L; // "dryrun!!"

  /** One backend as a pool's balancer would see it. */
  private record Endpoint(String backendId, String key, int weight, boolean backup, boolean healthy) {}

  /**
   * @param before what runs now; null when the load balancer does not exist yet
   * @param after what would run after the change; null when it would be deleted
   * @param stats the data plane's live counters on the node that serves the load balancer
   */
  public static Disruption of(DesiredLoadBalancer before, DesiredLoadBalancer after, StatsSnapshot stats) {
    boolean live = stats != null && !stats.node().isEmpty();
    var pools = new ArrayList<PoolShift>();
    if (before != null && after != null) {
      Map<String, DesiredPool> afterPools = new LinkedHashMap<>();
      after.pools().forEach(p -> afterPools.put(p.id(), p));
      for (DesiredPool p : before.pools()) {
        DesiredPool q = afterPools.get(p.id());
        if (q == null) continue; // a deleted pool serves no listener: the API refuses to delete one that does
        PoolShift shift = pool(p, eligible(before, p), q, eligible(after, q));
        if (shift != null) pools.add(shift);
      }
    }
    return new Disruption(pools, connections(before, after, live ? stats : null), live);
  }

  // ------------------------------------------------------------------ pools

  private static List<Endpoint> eligible(DesiredLoadBalancer d, DesiredPool p) {
    if (!d.adminStateUp() || !p.adminStateUp()) return List.of();
    DesiredHealthCheck hc = d.healthCheckOf(p);
    var all = new ArrayList<Endpoint>();
    Set<String> keys = new HashSet<>();
    for (DesiredBackend b : d.backends()) {
      if (!b.poolId().equals(p.id()) || !b.adminStateUp()) continue;
      boolean healthy = hc == null || d.journaledHealth().getOrDefault(b.id(), true);
      String key = EndpointKey.of(b.address(), b.protocolPort());
      if (keys.add(key)) all.add(new Endpoint(b.id(), key, b.weight(), b.backup(), healthy));
    }
    List<Endpoint> out = new ArrayList<>(Eligibility.eligible(all, e -> e.healthy() && e.weight() > 0, Endpoint::backup));
    out.sort(Comparator.comparing(Endpoint::key));
    return out;
  }

  private static PoolShift pool(DesiredPool p, List<Endpoint> before, DesiredPool q, List<Endpoint> after) {
    LbAlgorithm a = p.lbAlgorithm();
    LbAlgorithm b = q.lbAlgorithm();
    if (a == b && sameWeights(before, after)) return null;
    if (before.isEmpty() && after.isEmpty()) return null;
    if (before.isEmpty() || after.isEmpty()) return nowhere(p.id(), a, b, before, after);
    if (a == LbAlgorithm.MAGLEV && b == LbAlgorithm.MAGLEV) return table(p.id(), before, after);
    if (hashing(a) && hashing(b)) return sample(p.id(), a, before, b, after);
    return shares(p.id(), a, before, b, after);
  }

  private static boolean sameWeights(List<Endpoint> x, List<Endpoint> y) {
    if (x.size() != y.size()) return false;
    for (int i = 0; i < x.size(); i++) {
      if (!x.get(i).key().equals(y.get(i).key()) || x.get(i).weight() != y.get(i).weight()) return false;
    }
    return true;
  }

  private static boolean hashing(LbAlgorithm a) {
    return a == LbAlgorithm.MAGLEV || a == LbAlgorithm.SOURCE_IP || a == LbAlgorithm.SOURCE_IP_PORT;
  }

  /** Nothing eligible on one side: every flow moves, from or to no backend. */
  private static PoolShift nowhere(String poolId, LbAlgorithm a, LbAlgorithm b, List<Endpoint> before,
      List<Endpoint> after) {
    double[] sb = weightShares(a, before);
    double[] sa = weightShares(b, after);
    var moves = new ArrayList<Move>();
    for (int i = 0; i < before.size(); i++) moves.add(move(before.get(i), null, sb[i]));
    for (int i = 0; i < after.size(); i++) moves.add(move(null, after.get(i), sa[i]));
    return finish(poolId, a, b, Basis.SHARES, 1.0, 0, moves, before, sb, after, sa);
  }

  /** Both MAGLEV: the two tables, entry by entry. */
  private static PoolShift table(String poolId, List<Endpoint> before, List<Endpoint> after) {
    int m = MaglevTable.DEFAULT_SIZE;
    int[] tb = maglev(before, m);
    int[] ta = maglev(after, m);
    int[] same = sameIndex(before, after);
    int nb = before.size();
    int na = after.size();
    long[] ownedBefore = new long[nb];
    long[] ownedAfter = new long[na];
    Map<Long, Long> pairs = new HashMap<>();
    long moved = 0;
    for (int s = 0; s < m; s++) {
      int ib = tb[s];
      int ia = ta[s];
      ownedBefore[ib]++;
      ownedAfter[ia]++;
      if (same[ib] != ia) {
        moved++;
        pairs.merge((long) ib * na + ia, 1L, Long::sum);
      }
    }
    return counted(poolId, LbAlgorithm.MAGLEV, LbAlgorithm.MAGLEV, Basis.TABLE, m, 0, moved, pairs, before, ownedBefore,
        after, ownedAfter);
  }

  /** The owner of each entry of the table the data plane builds over {@code eligible} (sorted by key). */
  private static int[] maglev(List<Endpoint> es, int size) {
    String[] keys = new String[es.size()];
    int[] weights = new int[es.size()];
    for (int i = 0; i < es.size(); i++) {
      keys[i] = es.get(i).key();
      weights[i] = es.get(i).weight();
    }
    return MaglevTable.build(keys, weights, size);
  }

  /** For each index before, the index of the same endpoint key after, or -1. */
  private static int[] sameIndex(List<Endpoint> before, List<Endpoint> after) {
    Map<String, Integer> at = new HashMap<>();
    for (int i = 0; i < after.size(); i++) at.put(after.get(i).key(), i);
    int[] out = new int[before.size()];
    for (int i = 0; i < before.size(); i++) out[i] = at.getOrDefault(before.get(i).key(), -1);
    return out;
  }

  /** Any other pair of hashing algorithms: the backend of the same pseudo-random flows before and after. */
  private static PoolShift sample(String poolId, LbAlgorithm a, List<Endpoint> before, LbAlgorithm b,
      List<Endpoint> after) {
    int n = Math.max(before.size(), after.size());
    int samples = Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, (1 << 24) / n));
    Picker pb = picker(a, before);
    Picker pa = picker(b, after);
    int[] same = sameIndex(before, after);
    long[] ownedBefore = new long[before.size()];
    long[] ownedAfter = new long[after.size()];
    Map<Long, Long> pairs = new HashMap<>();
    long moved = 0;
    for (int i = 0; i < samples; i++) {
      long address = Hashing.fmix64(SAMPLE_SEED + i * 0x9e3779b97f4a7c15L);
      long flow = Hashing.combine(address, 1024 + (int) ((address >>> 7) % 64512));
      int ib = pb.pick(address, flow);
      int ia = pa.pick(address, flow);
      ownedBefore[ib]++;
      ownedAfter[ia]++;
      if (same[ib] != ia) {
        moved++;
        pairs.merge((long) ib * after.size() + ia, 1L, Long::sum);
      }
    }
    return counted(poolId, a, b, Basis.SAMPLE, samples, samples, moved, pairs, before, ownedBefore, after, ownedAfter);
  }

  /** Picks an index of the (sorted) endpoints for a client: its address hash and its address-and-port hash. */
  private interface Picker {
    int pick(long addressHash, long flowHash);
  }

  private static Picker picker(LbAlgorithm a, List<Endpoint> endpoints) {
    if (a == LbAlgorithm.MAGLEV) {
      int[] table = maglev(endpoints, MaglevTable.DEFAULT_SIZE);
      return (address, flow) -> table[Hashing.reduce(flow, table.length)];
    }
    String[] keys = endpoints.stream().map(Endpoint::key).toArray(String[]::new);
    int[] weights = endpoints.stream().mapToInt(Endpoint::weight).toArray();
    Rendezvous r = new Rendezvous(keys, weights);
    return a == LbAlgorithm.SOURCE_IP ? (address, flow) -> r.pick(address) : (address, flow) -> r.pick(flow);
  }

  private static PoolShift counted(String poolId, LbAlgorithm a, LbAlgorithm b, Basis basis, long total, int sampled,
      long moved, Map<Long, Long> pairs, List<Endpoint> before, long[] ownedBefore, List<Endpoint> after,
      long[] ownedAfter) {
    int na = after.size();
    var moves = new ArrayList<Move>();
    pairs.forEach((pair, count) -> moves.add(move(before.get((int) (pair / na)), after.get((int) (pair % na)),
        (double) count / total)));
    double[] sb = new double[before.size()];
    double[] sa = new double[na];
    for (int i = 0; i < sb.length; i++) sb[i] = (double) ownedBefore[i] / total;
    for (int i = 0; i < na; i++) sa[i] = (double) ownedAfter[i] / total;
    return finish(poolId, a, b, basis, (double) moved / total, sampled, moves, before, sb, after, sa);
  }

  /** No flow keeps a backend: the intended shares before and after, and where the difference goes. */
  private static PoolShift shares(String poolId, LbAlgorithm a, List<Endpoint> before, LbAlgorithm b,
      List<Endpoint> after) {
    double[] sb = weightShares(a, before);
    double[] sa = weightShares(b, after);
    Map<String, Double> delta = new TreeMap<>();
    Map<String, Endpoint> byKey = new HashMap<>();
    for (int i = 0; i < before.size(); i++) {
      delta.merge(before.get(i).key(), -sb[i], Double::sum);
      byKey.put(before.get(i).key(), before.get(i));
    }
    for (int i = 0; i < after.size(); i++) {
      delta.merge(after.get(i).key(), sa[i], Double::sum);
      byKey.putIfAbsent(after.get(i).key(), after.get(i));
    }
    Map<String, Endpoint> afterByKey = new HashMap<>();
    after.forEach(e -> afterByKey.put(e.key(), e));
    double moved = 0;
    for (double d : delta.values()) if (d > 0) moved += d;
    var moves = new ArrayList<Move>();
    if (moved > 1e-12) {
      for (var lose : delta.entrySet()) {
        if (lose.getValue() >= -1e-12) continue;
        for (var gain : delta.entrySet()) {
          if (gain.getValue() <= 1e-12) continue;
          moves.add(move(byKey.get(lose.getKey()), afterByKey.get(gain.getKey()), -lose.getValue() * gain.getValue() / moved));
        }
      }
    }
    return finish(poolId, a, b, Basis.SHARES, moved, 0, moves, before, sb, after, sa);
  }

  /** ROUND_ROBIN ignores weights above 0; every other algorithm follows them. */
  private static double[] weightShares(LbAlgorithm a, List<Endpoint> endpoints) {
    double[] out = new double[endpoints.size()];
    double total = 0;
    for (Endpoint e : endpoints) total += a == LbAlgorithm.ROUND_ROBIN ? 1 : e.weight();
    for (int i = 0; i < out.length; i++) {
      out[i] = (a == LbAlgorithm.ROUND_ROBIN ? 1 : endpoints.get(i).weight()) / total;
    }
    return out;
  }

  private static Move move(Endpoint from, Endpoint to, double fraction) {
    return new Move(from == null ? "" : from.backendId(), from == null ? "" : from.key(),
        to == null ? "" : to.backendId(), to == null ? "" : to.key(), fraction);
  }

  private static PoolShift finish(String poolId, LbAlgorithm a, LbAlgorithm b, Basis basis, double moved, int sampled,
      List<Move> moves, List<Endpoint> before, double[] sb, List<Endpoint> after, double[] sa) {
    moves.sort(Comparator.comparingDouble(Move::fraction).reversed().thenComparing(Move::fromEndpoint)
        .thenComparing(Move::toEndpoint));
    Map<String, double[]> byKey = new TreeMap<>();
    Map<String, String> ids = new HashMap<>();
    for (int i = 0; i < before.size(); i++) {
      byKey.computeIfAbsent(before.get(i).key(), k -> new double[2])[0] = sb[i];
      ids.put(before.get(i).key(), before.get(i).backendId());
    }
    for (int i = 0; i < after.size(); i++) {
      byKey.computeIfAbsent(after.get(i).key(), k -> new double[2])[1] = sa[i];
      ids.put(after.get(i).key(), after.get(i).backendId());
    }
    var shares = new ArrayList<Share>();
    byKey.forEach((key, s) -> shares.add(new Share(ids.get(key), key, s[0], s[1])));
    List<Move> listed = moves.subList(0, Math.min(MAX_MOVES, moves.size()));
    double unlisted = 0;
    for (Move m : moves.subList(listed.size(), moves.size())) unlisted += m.fraction();
    return new PoolShift(poolId, a.name(), b.name(), basis, moved, sampled, listed, unlisted, shares);
  }

  // ------------------------------------------------------------------ open connections

  private static List<OpenConnections> connections(DesiredLoadBalancer before, DesiredLoadBalancer after,
      StatsSnapshot stats) {
    var out = new ArrayList<OpenConnections>();
    if (before == null) return out;
    Map<String, Long> listenerCounts = counts(stats == null ? null : stats.listeners());
    Map<String, Long> backendCounts = counts(stats == null ? null : stats.backends());
    Map<String, DesiredListener> afterListeners = new HashMap<>();
    if (after != null) after.listeners().forEach(l -> afterListeners.put(l.id(), l));
    for (DesiredListener l : before.listeners()) {
      if (!before.adminStateUp() || !l.adminStateUp()) continue;
      DesiredListener n = afterListeners.get(l.id());
      String why = after == null ? "load balancer deleted"
          : !after.adminStateUp() ? "load balancer disabled"
          : n == null ? "deleted"
          : !n.adminStateUp() ? "disabled"
          : n.protocol() != l.protocol() ? "protocol " + l.protocol() + " -> " + n.protocol()
          : n.protocolPort() != l.protocolPort() ? "protocol_port " + l.protocolPort() + " -> " + n.protocolPort()
          : null;
      if (why != null) {
        out.add(new OpenConnections("listener", l.id(), Fate.CUT_AFTER_DRAIN, count(listenerCounts, l.id()), why));
      }
    }
    if (after == null || !after.adminStateUp()) return out; // every listener stops: their connections are above
    Map<String, DesiredPool> poolsBefore = new HashMap<>();
    before.pools().forEach(p -> poolsBefore.put(p.id(), p));
    Map<String, DesiredPool> poolsAfter = new HashMap<>();
    after.pools().forEach(p -> poolsAfter.put(p.id(), p));
    Map<String, DesiredBackend> backendsAfter = new HashMap<>();
    after.backends().forEach(b -> backendsAfter.put(b.id(), b));
    for (DesiredBackend b : before.backends()) {
      DesiredPool p = poolsBefore.get(b.poolId());
      if (p == null || !p.adminStateUp() || !b.adminStateUp() || b.weight() == 0) continue;
      DesiredBackend n = backendsAfter.get(b.id());
      DesiredPool q = poolsAfter.get(b.poolId());
      String why = n == null ? (q == null ? "pool deleted" : "deleted")
          : !q.adminStateUp() ? "pool disabled"
          : !n.adminStateUp() ? "disabled"
          : n.weight() == 0 ? "weight " + b.weight() + " -> 0"
          : !EndpointKey.of(n.address(), n.protocolPort()).equals(EndpointKey.of(b.address(), b.protocolPort()))
              ? "address " + EndpointKey.of(b.address(), b.protocolPort()) + " -> "
                  + EndpointKey.of(n.address(), n.protocolPort())
          : null;
      if (why != null) out.add(new OpenConnections("backend", b.id(), Fate.DRAINED, count(backendCounts, b.id()), why));
    }
    return out;
  }

  private static Map<String, Long> counts(List<TrafficStats> stats) {
    if (stats == null) return null;
    Map<String, Long> out = new HashMap<>();
    stats.forEach(t -> out.put(t.id(), t.activeConnections()));
    return out;
  }

  private static long count(Map<String, Long> counts, String id) {
    return counts == null ? -1 : counts.getOrDefault(id, 0L);
  }
}
