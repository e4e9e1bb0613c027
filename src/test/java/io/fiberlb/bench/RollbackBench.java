package io.fiberlb.bench;

import static io.fiberlb.bench.BenchSupport.as;
import static io.fiberlb.bench.BenchSupport.await;
import static io.fiberlb.bench.BenchSupport.fmt;
import static io.fiberlb.bench.BenchSupport.median;

import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.HistoryServiceClient;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.RollbackLoadBalancerRequest;
import io.fiberlb.api.v1.RollbackLoadBalancerResponse;
import io.fiberlb.api.v1.UpdateBackendRequest;
import io.fiberlb.bench.BenchSupport.Args;
import io.fiberlb.bench.BenchSupport.Conn;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

/**
 * Rollback end to end, against a running server: one load balancer with {@code --children} children (10 pools,
 * 10 listeners, the rest backends) and a history of {@code --versions} versions (the creates, then backend weight
 * and name updates round robin), then rollbacks timed from the client's call to its answer (the replay of the past
 * state from the journal, the entity's checks against today, the event, the answer with the whole tree and the
 * diff), each followed by a timed roll forward to the latest version of the history:
 * <ul>
 *   <li>{@code all-changed}: to the version where the last child was created: every backend changed since;
 *   <li>{@code half}: to the middle of the creates: half the children go, then come back;
 *   <li>{@code dry-run}: the first, with dry_run (nothing written).
 * </ul>
 *
 * <pre>
 * java -cp ... io.fiberlb.bench.RollbackBench --port 9090 [--children 1000] [--versions 10000] [--runs 5]
 *     [--concurrency 32] [--label x] [--out results.tsv]
 * </pre>
 */
public final class RollbackBench {
  static final String HEADER = String.join("\t", "label", "children", "versions", "case", "runs", "median_ms",
      "max_ms", "changes", "goal_ms");
  static final double GOAL_MS = 1000;

  private final Conn conn;
  private final HistoryServiceClient history;
  private final String project = "rollback-bench";

  private RollbackBench(ActorSystem<?> system, int port) {
    this.conn = new Conn(system, port);
    this.history = HistoryServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", port, system)
        .withTls(false), system);
  }

  public static void main(String[] argv) {
    var args = new Args(argv);
    int port = Integer.parseInt(args.required("port"));
    int children = args.integer("children", 1000);
    int versions = args.integer("versions", 10_000);
    int runs = args.integer("runs", 5);
    int concurrency = args.integer("concurrency", 32);
    String label = args.str("label", "rollback");
    String out = args.str("out", "");
    if (children < 21) throw new IllegalArgumentException("--children: at least 21 (10 pools, 10 listeners, backends)");
    if (versions < children + 1) throw new IllegalArgumentException("--versions: at least --children + 1");
    ActorSystem<Void> system = BenchSupport.clientSystem("rollback-bench");
    try {
      new RollbackBench(system, port).run(children, versions, runs, concurrency, label, out);
    } finally {
      system.terminate();
    }
  }

  private void run(int children, int versions, int runs, int concurrency, String label, String out) {
    long t0 = System.nanoTime();
    String lb = await(as(conn.lbs.createLoadBalancer(), project).invoke(CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("rollback-" + System.currentTimeMillis())).build()))
        .getId();
    var pools = new ArrayList<String>();
    for (int i = 0; i < 10; i++) {
      pools.add(await(as(conn.pools.createPool(), project).invoke(CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
          .setPool(PoolSpec.newBuilder().setName("p" + i).setProtocol(Protocol.TCP)).build())).getId());
    }
    for (int i = 0; i < 10; i++) {
      await(as(conn.listeners.createListener(), project).invoke(CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
          .setListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(8000 + i)
              .setDefaultPoolId(pools.get(i))).build()));
    }
    int backends = children - 20;
    String[] ids = new String[backends];
    pipelined(backends, concurrency, i -> as(conn.backends.createBackend(), project).invoke(CreateBackendRequest
        .newBuilder().setLoadBalancerId(lb).setPoolId(pools.get(i % 10)).setBackend(BackendSpec.newBuilder()
            .setAddress(address(i + 1)).setProtocolPort(8080)).build())
        .thenAccept(b -> ids[i] = b.getId()));
    long created = version(lb);
    int updates = versions - (int) created;
    pipelined(updates, concurrency, i -> as(conn.backends.updateBackend(), project).invoke(UpdateBackendRequest
        .newBuilder().setLoadBalancerId(lb).setId(ids[i % backends]).setBackend(BackendSpec.newBuilder()
            .setName("u" + i).setWeight(1 + i % 200)).build()));
    long latest = version(lb);
    System.out.printf(Locale.ROOT, "history: load balancer %s, %d children, %d versions (%d updates) in %.1f s%n", lb,
        children, latest, updates, (System.nanoTime() - t0) / 1e9);

    var cases = new LinkedHashMap<String, long[]>();
    cases.put("all-changed", new long[] {created});
    cases.put("half", new long[] {21 + backends / 2});
    cases.put("dry-run", new long[] {created});
    var lines = new ArrayList<String>();
    for (Map.Entry<String, long[]> c : cases.entrySet()) {
      boolean dry = c.getKey().equals("dry-run");
      var back = new ArrayList<Double>();
      var forward = new ArrayList<Double>();
      int changes = 0;
      for (int r = 0; r < runs; r++) {
        long start = System.nanoTime();
        RollbackLoadBalancerResponse answer = rollback(lb, c.getValue()[0], dry);
        back.add((System.nanoTime() - start) / 1e6);
        changes = answer.getChangesCount();
        if (!dry) {
          start = System.nanoTime();
          rollback(lb, latest, false);
          forward.add((System.nanoTime() - start) / 1e6);
        }
      }
      lines.add(line(label, children, latest, c.getKey() + " (to " + c.getValue()[0] + ")", back, changes));
      if (!dry) lines.add(line(label, children, latest, c.getKey() + " forward (to " + latest + ")", forward, changes));
    }
    System.out.println(HEADER);
    lines.forEach(System.out::println);
    if (!out.isEmpty()) BenchSupport.append(Path.of(out), HEADER, lines);
    conn.close();
  }

  private static String line(String label, int children, long versions, String what, List<Double> ms, int changes) {
    double max = ms.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return String.join("\t", label, Integer.toString(children), Long.toString(versions), what,
        Integer.toString(ms.size()), fmt(median(ms)), fmt(max), Integer.toString(changes), fmt(GOAL_MS));
  }

  private static String address(int n) {
    return "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
  }

  private RollbackLoadBalancerResponse rollback(String lb, long to, boolean dryRun) {
    return await(as(history.rollbackLoadBalancer(), project).invoke(RollbackLoadBalancerRequest.newBuilder()
        .setLoadBalancerId(lb).setToVersion(to).setDryRun(dryRun).build()));
  }

  private long version(String lb) {
    return await(as(conn.lbs.getLoadBalancer(), project).invoke(GetLoadBalancerRequest.newBuilder().setId(lb).build()))
        .getVersion();
  }

  /** {@code n} calls, at most {@code window} in flight; fails on the first failure. */
  private static void pipelined(int n, int window, IntFunction<CompletionStage<?>> call) {
    var inFlight = new java.util.concurrent.Semaphore(window);
    var all = new ArrayList<CompletableFuture<?>>(n);
    for (int i = 0; i < n; i++) {
      inFlight.acquireUninterruptibly();
      var f = call.apply(i).toCompletableFuture();
      f.whenComplete((x, err) -> inFlight.release());
      all.add(f);
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).join();
  }
}
