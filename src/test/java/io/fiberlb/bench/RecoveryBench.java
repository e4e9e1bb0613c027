package io.fiberlb.bench;

import static io.fiberlb.bench.BenchSupport.DIRECT;
import static io.fiberlb.bench.BenchSupport.as;
import static io.fiberlb.bench.BenchSupport.fmt;

import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.bench.BenchSupport.Args;
import io.fiberlb.bench.BenchSupport.Conn;
import io.fiberlb.bench.BenchSupport.Phase;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Recovery time of a node that holds many load balancers.
 *
 * <pre>
 * populate --port P --server-pid PID --lbs 1000 [--lbs-per-project 1000] [--children 1] [--concurrency 64] --ids FILE
 *     [--backend-port B]
 *     creates the load balancers (each with a pool, a TCP listener on port 80 and two backends when --children 1)
 *     and writes "project lb-id vip" lines to FILE. With --backend-port the backends are 127.0.0.1:B and
 *     127.0.0.2:B (the measuring JVM serves them), else the made-up 10.0.0.1:8080 and 10.0.0.2:8080.
 * measure --data-dir D --ids FILE --ready-file R --start-file S [--mode get|idle] [--concurrency 64] [--label x]
 *     [--out results.tsv] [--client-warmup 20000]
 *     writes R once its own JVM is up, then waits for S ("server-pid start-epoch-ms", written by the script right
 *     before it starts the server), then times (a) start to D/grpc.port and (b) start to every load balancer having
 *     answered GetLoadBalancer (Gets issued as soon as the port file is there, in parallel, with a bounded number in
 *     flight; a failed Get is retried after 20 ms). Then a second pass of the same Gets on the now warm server, for
 *     comparison. Before R is written, the client is warmed (JIT) against an in-process pekko-grpc floor server.
 *     With --mode idle it sends nothing at first: it polls `jcmd PID GC.class_histogram` once a second until there
 *     are as many live LoadBalancerState$Active objects as load balancers (remember-entities restarted them all by
 *     themselves), then waits until the server's CPU use stays below 5% of a core for a second, and only then runs
 *     the Get pass. With --serve-port B (the populate's --backend-port) it also serves the backends (an echo on
 *     127.0.0.1:B and 127.0.0.2:B) and, from the server's start, times (d) start to every VIP having served one
 *     connection (an echo round trip through VIP:80; a refused or failed try is retried after 20 ms), in parallel
 *     with the Gets.
 * </pre>
 */
public final class RecoveryBench {
  static final String HEADER = String.join("\t", "label", "mode", "lbs", "concurrency", "start_to_port_ms",
      "start_to_first_answer_ms", "start_to_all_answered_ms", "port_to_all_answered_ms", "lb_ready_p50_ms",
      "lb_ready_p99_ms", "start_to_quiet_ms", "recovered_after_ms", "recovered_by_ms", "retries", "retry_codes",
      "cold_pass_ms", "warm_pass_ms", "start_to_all_served_ms", "served_p50_ms",
      "server_cpu_ms_at_all_answered", "get_p99_cold_ms", "get_p99_warm_ms", "loadavg", "server_cpu_ms_by_thread");

  private RecoveryBench() {}

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    String cmd = a.words.isEmpty() ? "" : a.words.get(0);
    ActorSystem<Void> system = BenchSupport.clientSystem("bench-recovery");
    int exit = 0;
    try {
      switch (cmd) {
        case "populate" -> exit = populate(system, a);
        case "measure" -> exit = measure(system, a);
        default -> {
          System.err.println("usage: RecoveryBench populate|measure ... (see the class comment)");
          exit = 64;
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }

  // ------------------------------------------------------------------ populate

  private static int populate(ActorSystem<?> system, Args a) throws Exception {
    int port = a.integer("port", 9090);
    long pid = a.longValue("server-pid", -1);
    int n = a.integer("lbs", 1000);
    int perProject = a.integer("lbs-per-project", 1000);
    boolean children = a.integer("children", 1) == 1;
    int concurrency = a.integer("concurrency", 64);
    int backendPort = a.integer("backend-port", 0);
    Path ids = Path.of(a.required("ids"));
    Conn[] conns = {new Conn(system, port), new Conn(system, port)};
    String[] lbIds = new String[n];
    String[] projects = new String[n];
    String[] vips = new String[n];
    String prefix = Long.toString(System.currentTimeMillis() % 2_176_782_336L, 36);
    var progress = new AtomicInteger();
    Phase p = BenchSupport.drive("populate", n, concurrency, pid, i -> {
      Conn c = conns[i % conns.length];
      String project = "rec-p" + (i / perProject);
      projects[i] = project;
      CompletionStage<?> chain = as(c.lbs.createLoadBalancer(), project).invoke(CreateLoadBalancerRequest.newBuilder()
              .setLoadBalancer(LoadBalancerSpec.newBuilder().setName(prefix + "-" + i)).build())
          .thenAcceptAsync(lb -> {
            lbIds[i] = lb.getId();
            vips[i] = lb.getVipAddress();
          }, DIRECT);
      if (children) {
        chain = chain.thenComposeAsync(x -> as(c.pools.createPool(), project).invoke(CreatePoolRequest.newBuilder()
                .setLoadBalancerId(lbIds[i]).setPool(PoolSpec.newBuilder().setName("pool").setProtocol(Protocol.TCP)
                    .setLbAlgorithm(LbAlgorithm.ROUND_ROBIN)).build()), DIRECT)
            .thenComposeAsync(pool -> as(c.listeners.createListener(), project)
                .invoke(CreateListenerRequest.newBuilder().setLoadBalancerId(lbIds[i])
                    .setListener(ListenerSpec.newBuilder().setName("http").setProtocol(Protocol.TCP)
                        .setProtocolPort(80).setDefaultPoolId(pool.getId())).build())
                .thenComposeAsync(l -> backend(c, project, lbIds[i], pool.getId(),
                    backendPort > 0 ? "127.0.0.1" : "10.0.0.1", backendPort > 0 ? backendPort : 8080), DIRECT)
                .thenComposeAsync(b -> backend(c, project, lbIds[i], pool.getId(),
                    backendPort > 0 ? "127.0.0.2" : "10.0.0.2", backendPort > 0 ? backendPort : 8080), DIRECT), DIRECT);
      }
      return chain.whenCompleteAsync((x, e) -> {
        int done = progress.incrementAndGet();
        if (done % 1000 == 0) System.out.printf(Locale.ROOT, "  populated %d/%d%n", done, n);
      }, DIRECT);
    });
    var lines = new ArrayList<String>();
    for (int i = 0; i < n; i++) if (lbIds[i] != null) lines.add(projects[i] + " " + lbIds[i] + " " + vips[i]);
    Files.write(ids, lines);
    int calls = children ? 5 : 1;
    System.out.printf(Locale.ROOT, "populate: %d load balancers%s in %.1f s (%s LBs/s = %s creates/s, p50 %s ms, "
            + "p99 %s ms per LB%s), server CPU %s ms per LB; %d errors%s%n", lines.size(),
        children ? " with a pool, a listener and 2 backends each" : "", p.seconds, fmt(p.rate()),
        fmt(p.rate() * calls), fmt(p.pct(50)), fmt(p.pct(99)), children ? " for its 5 calls" : "",
        fmt(p.serverCpuUsPerOp() / 1000), p.errors, p.errors > 0 ? " (first: " + p.firstError + ")" : "");
    return p.errors > 0 ? 2 : 0;
  }

  private static CompletionStage<?> backend(Conn c, String project, String lb, String pool, String address,
      int port) {
    return as(c.backends.createBackend(), project).invoke(CreateBackendRequest.newBuilder().setLoadBalancerId(lb)
        .setPoolId(pool).setBackend(BackendSpec.newBuilder().setAddress(address).setProtocolPort(port)).build());
  }

  // ------------------------------------------------------------------ measure

  private static int measure(ActorSystem<?> system, Args a) throws Exception {
    Path dataDir = Path.of(a.required("data-dir"));
    List<String[]> ids = Files.readAllLines(Path.of(a.required("ids"))).stream().filter(l -> !l.isBlank())
        .map(l -> l.trim().split(" ")).toList();
    Path ready = Path.of(a.required("ready-file"));
    Path startFile = Path.of(a.required("start-file"));
    String mode = a.str("mode", "get");
    int concurrency = a.integer("concurrency", 64);
    String label = a.str("label", "");
    String out = a.str("out", "");
    long timeoutMs = a.longValue("timeout-s", 600) * 1000;
    // Build the requests and warm this JVM's gRPC client (JIT) against an in-process floor server before the real
    // server starts, so that the clock measures the server and not a cold client.
    GetLoadBalancerRequest[] reqs = new GetLoadBalancerRequest[ids.size()];
    for (int i = 0; i < reqs.length; i++) reqs[i] = GetLoadBalancerRequest.newBuilder().setId(ids.get(i)[1]).build();
    warmUpClient(system, ids, reqs, concurrency, a.integer("client-warmup", 20000));
    int servePort = a.integer("serve-port", 0);
    VipSweep serve = servePort > 0 ? new VipSweep(ids.stream().map(x -> x[2]).toList(), 80,
        concurrency, List.of("127.0.0.1", "127.0.0.2"), servePort) : null;
    Files.writeString(ready, "ready\n");

    long deadline = System.currentTimeMillis() + timeoutMs;
    String[] start = waitForFile(startFile, deadline).trim().split("\\s+");
    long pid = Long.parseLong(start[0]);
    long startMs = Long.parseLong(start[1]);
    if (!Files.exists(Path.of("/proc/" + pid))) throw new IllegalStateException("no server process " + pid);
    if (serve != null) serve.start(deadline);
    int port = Integer.parseInt(waitForFile(dataDir.resolve("grpc.port"), deadline).trim());
    long portMs = System.currentTimeMillis() - startMs;
    System.out.printf(Locale.ROOT, "measure (%s, %d LBs): start -> grpc.port %d ms%n", mode, ids.size(), portMs);

    long quietMs = -1;
    long[] recovered = {-1, -1};
    if (mode.equals("idle")) {
      recovered = waitForRecoveredOnTheirOwn(pid, startMs, ids.size(), deadline);
      quietMs = waitForQuiet(pid, startMs, deadline);
      System.out.printf(Locale.ROOT, "  server CPU quiet (< 5%% of a core for 1 s) from %d ms after start%n", quietMs);
    }

    Conn[] conns = {new Conn(system, port), new Conn(system, port)};
    var retryCodes = new ConcurrentHashMap<String, AtomicInteger>();
    var retries = new AtomicLong();
    long[] readyAt = new long[ids.size()];
    long[] latency = new long[ids.size()];
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "retry-timer");
      t.setDaemon(true);
      return t;
    });
    long passStart = System.currentTimeMillis();
    getAll(conns, ids, reqs, concurrency, timer, retries, retryCodes, readyAt, latency);
    long allMs = Arrays.stream(readyAt).max().orElse(0) - startMs;
    long firstMs = Arrays.stream(readyAt).min().orElse(0) - startMs;
    double cpuAtAll = BenchSupport.processCpuMs(pid);
    String threadsAtAll = BenchSupport.topDelta(Map.of(), BenchSupport.threadCpuMs(pid), 8);
    long coldPass = System.currentTimeMillis() - passStart;
    long[] readySorted = Arrays.stream(readyAt).map(t -> t - startMs).sorted().toArray();
    double coldP99 = pct(latency, 99);

    long servedMs = -1;
    long servedP50 = -1;
    if (serve != null) {
      long[] served = serve.await(deadline);
      servedMs = Arrays.stream(served).max().orElse(0) - startMs;
      long[] sorted = Arrays.stream(served).map(t -> t - startMs).sorted().toArray();
      servedP50 = sorted[sorted.length / 2];
      System.out.printf(Locale.ROOT, "  (d) start -> every VIP served a connection %d ms (per-VIP p50 %d ms, %d tries"
          + " refused or failed)%n", servedMs, servedP50, serve.failedTries.get());
      serve.close();
    }
    long[] warmReady = new long[ids.size()];
    long[] warmLatency = new long[ids.size()];
    var warmRetries = new AtomicLong();
    long warmStart = System.currentTimeMillis();
    getAll(conns, ids, reqs, concurrency, timer, warmRetries, new ConcurrentHashMap<>(), warmReady, warmLatency);
    long warmPass = System.currentTimeMillis() - warmStart;
    timer.shutdownNow();
    for (Conn c : conns) c.close();

    if (mode.equals("idle")) {
      System.out.printf(Locale.ROOT, "  (c) all %d LoadBalancerState$Active objects on the heap, with no client call:"
          + " between %d and %d ms after start%n", ids.size(), recovered[0], recovered[1]);
    }
    String codes = retryCodes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted()
        .reduce((x, y) -> x + "," + y).orElse("");
    System.out.printf(Locale.ROOT, "  start -> first answer %d ms, start -> all %d answered %d ms (port -> all %d ms);"
            + " per-LB ready p50 %d ms p99 %d ms; %d retries %s%n", firstMs, ids.size(), allMs, allMs - portMs,
        readySorted[readySorted.length / 2], readySorted[(int) Math.ceil(readySorted.length * 0.99) - 1],
        retries.get(), codes.isEmpty() ? "" : "(" + codes + ")");
    System.out.printf(Locale.ROOT, "  Get pass: cold %d ms (p99 %s ms), warm %d ms (p99 %s ms); server CPU since start"
            + " %s ms when all had answered%n", coldPass, fmt(coldP99), warmPass, fmt(pct(warmLatency, 99)),
        fmt(cpuAtAll));
    System.out.printf(Locale.ROOT, "  server CPU ms by thread (live threads) when all had answered: %s%n",
        threadsAtAll);
    BenchSupport.append(out.isEmpty() ? null : Path.of(out), HEADER, List.of(String.join("\t", label, mode,
        String.valueOf(ids.size()), String.valueOf(concurrency), String.valueOf(portMs), String.valueOf(firstMs),
        String.valueOf(allMs), String.valueOf(allMs - portMs), String.valueOf(readySorted[readySorted.length / 2]),
        String.valueOf(readySorted[(int) Math.ceil(readySorted.length * 0.99) - 1]), String.valueOf(quietMs),
        String.valueOf(recovered[0]), String.valueOf(recovered[1]),
        String.valueOf(retries.get()), codes, String.valueOf(coldPass), String.valueOf(warmPass),
        String.valueOf(servedMs), String.valueOf(servedP50),
        String.format(Locale.ROOT, "%.0f", cpuAtAll), String.format(Locale.ROOT, "%.1f", coldP99),
        String.format(Locale.ROOT, "%.1f", pct(warmLatency, 99)),
        String.format(Locale.ROOT, "%.2f", BenchSupport.loadAverage()), threadsAtAll)));
    return 0;
  }

  private static void warmUpClient(ActorSystem<?> system, List<String[]> ids, GetLoadBalancerRequest[] reqs,
      int concurrency, int calls) {
    if (calls <= 0) return;
    var binding = FloorServer.startPekko(system, false);
    var conns = new Conn[] {new Conn(system, binding.localAddress().getPort())};
    Phase p = BenchSupport.drive("client-warmup", calls, concurrency, -1,
        i -> as(conns[0].lbs.getLoadBalancer(), ids.get(i % ids.size())[0]).invoke(reqs[i % reqs.length]));
    conns[0].close();
    binding.unbind().toCompletableFuture().join();
    System.out.printf(Locale.ROOT, "client warm-up: %d Gets against an in-process floor server, %s/s at the end%n",
        calls, fmt(p.rate()));
  }

  private static double pct(long[] nanos, double p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[Math.max(0, (int) Math.ceil(p / 100 * s.length) - 1)] / 1e6;
  }

  /**
   * GetLoadBalancer for every id with {@code concurrency} in flight; a failure is retried after 20 ms until it
   * answers. {@code readyAt[i]} is the wall-clock ms of id i's first answer, {@code latency[i]} the nanos of that
   * successful call.
   */
  private static void getAll(Conn[] conns, List<String[]> ids, GetLoadBalancerRequest[] reqs, int concurrency,
      ScheduledExecutorService timer, AtomicLong retries, Map<String, AtomicInteger> retryCodes, long[] readyAt,
      long[] latency) throws InterruptedException {
    var next = new AtomicInteger();
    var done = new CountDownLatch(ids.size());
    var worker = new Object() {
      void issue(int i) {
        long t0 = System.nanoTime();
        CompletableFuture<?> f;
        try {
          f = as(conns[i % conns.length].lbs.getLoadBalancer(), ids.get(i)[0]).invoke(reqs[i]).toCompletableFuture();
        } catch (RuntimeException e) {
          f = CompletableFuture.failedFuture(e);
        }
        f.whenCompleteAsync((r, e) -> {
          if (e == null) {
            readyAt[i] = System.currentTimeMillis();
            latency[i] = System.nanoTime() - t0;
            done.countDown();
            int k = next.getAndIncrement();
            if (k < ids.size()) issue(k);
          } else {
            retries.incrementAndGet();
            Status.Code code = BenchSupport.codeOf(e);
            retryCodes.computeIfAbsent(code == null ? e.getClass().getSimpleName() : code.name(),
                x -> new AtomicInteger()).incrementAndGet();
            timer.schedule(() -> issue(i), 20, TimeUnit.MILLISECONDS);
          }
        }, DIRECT);
      }
    };
    for (int w = 0; w < Math.min(concurrency, ids.size()); w++) worker.issue(next.getAndIncrement());
    if (!done.await(30, TimeUnit.MINUTES)) throw new IllegalStateException("not every load balancer answered");
  }

  private static String waitForFile(Path file, long deadline) throws Exception {
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(file)) {
        String s = Files.readString(file);
        if (s.endsWith("\n")) return s;
      }
      Thread.sleep(1);
    }
    throw new IllegalStateException("timed out waiting for " + file);
  }

  /**
   * Remember-entities progress seen from outside: {@code jcmd PID GC.class_histogram} counts the live
   * {@code LoadBalancerState$Active} objects, one per recovered (active) load balancer entity. Each poll forces a
   * full GC in the server (a pause of some tens of ms), so this is only done in the idle mode. Returns {the last
   * poll's start that saw fewer, the first poll's end that saw all}, in ms after the server's start.
   */
  private static long[] waitForRecoveredOnTheirOwn(long pid, long startMs, int n, long deadline) throws Exception {
    long lastBelow = 0;
    while (System.currentTimeMillis() < deadline) {
      long t0 = System.currentTimeMillis();
      Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.class_histogram").redirectErrorStream(true)
          .start();
      long count = 0;
      try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (line.endsWith(" io.fiberlb.controlplane.LoadBalancerState$Active")) {
            count = Long.parseLong(line.trim().split("\\s+")[1]);
          }
        }
      }
      p.waitFor();
      long t1 = System.currentTimeMillis();
      System.out.printf(Locale.ROOT, "  %6d ms: %d active load balancers in memory%n", t1 - startMs, count);
      if (count >= n) return new long[] {lastBelow, t1 - startMs};
      lastBelow = t0 - startMs;
      Thread.sleep(Math.max(0, 1000 - (t1 - t0)));
    }
    throw new IllegalStateException("the load balancers did not all recover on their own");
  }

  /** Wall-clock ms after start at which the server's CPU use first stayed under 5% of a core for a full second. */
  private static long waitForQuiet(long pid, long startMs, long deadline) throws Exception {
    int window = 10;
    double[] cpu = new double[window + 1];
    long[] at = new long[window + 1];
    int n = 0;
    while (System.currentTimeMillis() < deadline) {
      cpu[n % (window + 1)] = BenchSupport.processCpuMs(pid);
      if (cpu[n % (window + 1)] < 0) throw new IllegalStateException("cannot read the CPU time of process " + pid);
      at[n % (window + 1)] = System.currentTimeMillis();
      if (n >= window) {
        int oldest = (n - window) % (window + 1);
        int newest = n % (window + 1);
        double used = cpu[newest] - cpu[oldest];
        double wall = at[newest] - at[oldest];
        if (used < 0.05 * wall) return at[oldest] - startMs;
      }
      n++;
      Thread.sleep(100);
    }
    throw new IllegalStateException("the server never went quiet");
  }
}
