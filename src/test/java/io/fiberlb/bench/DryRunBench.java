package io.fiberlb.bench;

import static io.fiberlb.bench.BenchSupport.as;
import static io.fiberlb.bench.BenchSupport.await;
import static io.fiberlb.bench.BenchSupport.fmt;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeleteBackendRequest;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolDisruption;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.bench.BenchSupport.Args;
import io.fiberlb.bench.BenchSupport.Conn;
import io.fiberlb.bench.BenchSupport.Phase;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The latency of a dry run (issue 14): {@code DeleteBackend} with {@code validate_only} in a MAGLEV pool of
 * {@code --backends} backends, one call at a time, end to end through gRPC. Each answer builds the pool's two
 * 65537-entry Maglev tables (before and after) and compares them entry by entry, and carries the diff; the goal is
 * under 50 ms at 1,000 backends, table builds included.
 *
 * <pre>
 * java -cp ... io.fiberlb.bench.DryRunBench --port 9090 --server-pid 1234 [--backends 1000] [--iterations 200]
 *     [--warmup 30] [--out results.tsv]
 * </pre>
 *
 * Sets up one load balancer with a listener and the pool, then {@code --warmup} dry runs (not recorded) and
 * {@code --iterations} measured ones, each on another backend; prints p50/p90/p99/max and the server CPU per call.
 */
public final class DryRunBench {
  static final double GOAL_MS = 50;
  static final String PROJECT = "bench-dry-run";

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    int port = a.integer("port", 9090);
    long serverPid = a.longValue("server-pid", -1);
    int backends = a.integer("backends", 1000);
    int iterations = a.integer("iterations", 200);
    int warmup = a.integer("warmup", 30);
    String out = a.str("out", "");
    ActorSystem<Void> system = BenchSupport.clientSystem("bench-client");
    int exit = 0;
    try {
      var c = new Conn(system, port);
      String prefix = Long.toString(System.currentTimeMillis() % 2_176_782_336L, 36);
      String lb = await(as(c.lbs.createLoadBalancer(), PROJECT).invoke(CreateLoadBalancerRequest.newBuilder()
          .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("dry-" + prefix)).build())).getId();
      String pool = await(as(c.pools.createPool(), PROJECT).invoke(CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
          .setPool(PoolSpec.newBuilder().setName("p").setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.MAGLEV))
          .build())).getId();
      await(as(c.listeners.createListener(), PROJECT).invoke(CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
          .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(80).setDefaultPoolId(pool))
          .build()));
      String[] ids = new String[backends];
      Phase setup = BenchSupport.drive("backend-create", backends, 16, serverPid, i ->
          as(c.backends.createBackend(), PROJECT).invoke(CreateBackendRequest.newBuilder().setLoadBalancerId(lb)
              .setPoolId(pool).setBackend(BackendSpec.newBuilder().setAddress("10." + (i >> 16 & 255) + "."
                  + (i >> 8 & 255) + "." + (i & 255)).setProtocolPort(8080)).build())
              .thenApply((Backend b) -> ids[i] = b.getId()));
      System.out.printf(Locale.ROOT, "dry-run: port %d, server pid %d; a MAGLEV pool of %d backends (created at %s/s,"
          + " %d errors); %d warm-up + %d measured DeleteBackend validate_only calls, one at a time%n", port, serverPid,
          backends, fmt(setup.rate()), setup.errors, warmup, iterations);
      if (setup.errors > 0) throw new IllegalStateException("setup failed: " + setup.firstError);

      double moved = 0;
      long[] nanos = new long[iterations];
      double cpuBefore = 0;
      for (int i = -warmup; i < iterations; i++) {
        if (i == 0) cpuBefore = BenchSupport.processCpuMs(serverPid);
        String victim = ids[Math.floorMod(i * 7919, backends)];
        long t0 = System.nanoTime();
        DeleteResponse r = await(as(c.backends.deleteBackend(), PROJECT).invoke(DeleteBackendRequest.newBuilder()
            .setLoadBalancerId(lb).setId(victim).setValidateOnly(true).build()));
        long t = System.nanoTime() - t0;
        PoolDisruption p = r.getDryRun().getDisruption().getPools(0);
        if (p.getBasis() != PoolDisruption.Basis.TABLE || r.getDryRun().getChangesCount() != 1) {
          throw new IllegalStateException("not a table comparison of one removal: " + r.getDryRun());
        }
        if (i >= 0) {
          nanos[i] = t;
          moved += p.getMoved();
        }
      }
      double cpuMs = serverPid > 0 ? BenchSupport.processCpuMs(serverPid) - cpuBefore : Double.NaN;
      Arrays.sort(nanos);
      double p50 = ms(nanos, 0.50);
      double p90 = ms(nanos, 0.90);
      double p99 = ms(nanos, 0.99);
      double max = nanos[nanos.length - 1] / 1e6;
      System.out.printf(Locale.ROOT, "DeleteBackend validate_only, %d backends: p50 %s ms, p90 %s ms, p99 %s ms,"
              + " max %s ms; server CPU %s ms per call; mean moved %.2f%% (1/N = %.2f%%)%n", backends, fmt(p50),
          fmt(p90), fmt(p99), fmt(max), fmt(cpuMs / iterations), 100 * moved / iterations, 100.0 / backends);
      System.out.printf(Locale.ROOT, "goal: p50 under %s ms: %s%n", fmt(GOAL_MS), p50 < GOAL_MS ? "met" : "MISSED");
      if (!out.isEmpty()) {
        BenchSupport.append(Path.of(out), String.join("\t", "backends", "iterations", "p50_ms", "p90_ms", "p99_ms",
            "max_ms", "server_cpu_ms_per_call", "loadavg"), List.of(String.join("\t", String.valueOf(backends),
            String.valueOf(iterations), fmt(p50), fmt(p90), fmt(p99), fmt(max), fmt(cpuMs / iterations),
            fmt(BenchSupport.loadAverage()))));
      }
      c.close();
    } catch (RuntimeException e) {
      System.out.println("failed: " + BenchSupport.describe(e));
      exit = 1;
    } finally {
      system.terminate();
    }
    System.exit(exit);
  }

  private static double ms(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  private DryRunBench() {}
}
