package io.fiberlb.dataplane.balance;

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
 * Maglev: one lookup (goal under 50 ns) and building the 65537-entry table for 100 backends (goal under 5 ms).
 * Run: see bench/balance/README.md. Not a test (no assertion on time): the numbers go to bench/balance/RESULTS.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MaglevBench {
  @Param({"100"})
  int backends;

  List<Endpoint> endpoints;
  Balancer table;
  ConnectionKey[] keys;
  int next;

  @Setup
  public void setUp() {
    endpoints = Fixtures.endpoints(backends, i -> 1 + i % 4);
    table = Balancers.maglev(endpoints);
    Random random = new Random(1);
    keys = new ConnectionKey[4096];
    for (int i = 0; i < keys.length; i++) keys[i] = Fixtures.randomClient(random);
  }

  /** One pick: a table read at the key's slot (keys cycle through 4096 clients, so the table is not all in L1). */
  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Endpoint lookup() {
    return table.pick(keys[next++ & 4095]);
  }

  /** Eligibility, sorting by key, hashing, and filling all 65537 slots: what a health change costs a pool. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public Balancer build() {
    return Balancers.maglev(endpoints);
  }
}
