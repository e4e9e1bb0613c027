package io.fiberlb.dataplane.balance;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one pick for every algorithm, through {@link PoolBalancer} as a listener calls it, for 10 and 100
 * endpoints of mixed weights (1..4; the weighted paths are the slower ones), and with session persistence on.
 * Open-connection counts stay at 0 (nobody reports), which is the cost of reading them, not of contention.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BalancerBench {
  @Param({"ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT", "MAGLEV",
      "RANDOM_TWO_CHOICES"})
  Algorithm algorithm;

  @Param({"10", "100"})
  int backends;

  PoolBalancer pool;
  PoolBalancer sticky;
  ConnectionKey[] keys;
  int next;

  @Setup
  public void setUp() {
    List<Endpoint> endpoints = Fixtures.endpoints(backends, i -> 1 + i % 4);
    pool = PoolBalancer.create(algorithm, endpoints);
    sticky = PoolBalancer.create(algorithm, endpoints, AffinityTable.create(Duration.ofMinutes(5), 65536));
    Random random = new Random(1);
    keys = new ConnectionKey[4096];
    for (int i = 0; i < keys.length; i++) keys[i] = Fixtures.randomClient(random);
    for (ConnectionKey k : keys) sticky.pick(k); // every client known: the sticky benchmark measures the hit path
  }

  @Benchmark
  public Endpoint pick() {
    return pool.pick(keys[next++ & 4095]);
  }

  /** Session persistence SOURCE_IP, client already remembered: clock read, table probe, map lookup. */
  @Benchmark
  public Endpoint pickSticky() {
    return sticky.pick(keys[next++ & 4095]);
  }
}
