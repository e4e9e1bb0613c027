package io.fiberlb.bench;

import static io.fiberlb.bench.BenchSupport.as;
import static io.fiberlb.bench.BenchSupport.fmt;
import static io.fiberlb.bench.BenchSupport.median;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetBackendRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.bench.BenchSupport.Args;
import io.fiberlb.bench.BenchSupport.Conn;
import io.fiberlb.bench.BenchSupport.Phase;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Control-plane throughput and latency against a running server: LB creates, backend creates, GetLoadBalancer and
 * GetBackend, each with a fixed number of requests in flight, over a working set of load balancers (each with a
 * pool and a listener) spread over one or more projects.
 *
 * <pre>
 * java -cp ... io.fiberlb.bench.ControlPlaneBench --port 9090 --server-pid 1234 \
 *     [--lbs 50] [--projects 1] [--lb-creates 200] [--backends 2000] [--gets 20000] \
 *     [--concurrency 64] [--connections 2] [--runs 3] [--warmup-runs 1] [--label x] [--out results.tsv] \
 *     [--phases lb-create,backend-create,get-lb,get-backend] [--client pekko|grpc-java] [--setup 1|0]
 * </pre>
 *
 * One warm-up run (not recorded) then {@code --runs} measured runs; each run does the four phases one after the
 * other. Prints each run and then the medians over the runs. {@code --client grpc-java} uses grpc-java directly
 * instead of pekko-grpc's client (less CPU per call, which leaves more of a shared machine to the server);
 * {@code --setup 0} creates nothing and gets random ids, for a {@link FloorServer}.
 */
public final class ControlPlaneBench {
  static final String HEADER = String.join("\t", "label", "run", "op", "concurrency", "connections/client",
      "projects", "working_set_lbs", "count", "errors", "seconds", "ops_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms",
      "server_cpu_us_per_op", "client_cpu_us_per_op", "server_cores", "client_cores", "other_cores", "loadavg",
      "server_cpu_ms_by_thread");

  /** ops/s goals from the issue; 0 = none. */
  static final Map<String, Double> GOALS = Map.of("lb-create", 0.0, "backend-create", 2000.0, "get-lb", 20000.0,
      "get-backend", 20000.0);

  private final int port;
  private final long serverPid;
  private final int lbs;
  private final int projects;
  private final int concurrency;
  private final Api api;
  private final String clientKind;
  private final int connections;
  private final String[] lbIds;
  private final String[] poolIds;
  private final List<String[]> backends = new ArrayList<>();
  /** Load balancer names are unique per project: a prefix of its own lets a run share a server with earlier ones. */
  private final String prefix = Long.toString(System.currentTimeMillis() % 2_176_782_336L, 36);
  private long addressSeq = 0;
  private int lbSeq = 0;

  private ControlPlaneBench(ActorSystem<?> system, Args a) {
    port = a.integer("port", 9090);
    serverPid = a.longValue("server-pid", -1);
    lbs = a.integer("lbs", 50);
    projects = a.integer("projects", 1);
    concurrency = a.integer("concurrency", 64);
    connections = a.integer("connections", 2);
    clientKind = a.str("client", "pekko");
    api = clientKind.equals("grpc-java") ? new GrpcJavaApi(port, connections) : new PekkoApi(system, port, connections);
    lbIds = new String[lbs];
    poolIds = new String[lbs];
  }

  static String project(int i, int projects) {
    return "bench-p" + (i % projects);
  }

  // ------------------------------------------------------------------ clients

  /** The calls the benchmark makes; {@code i} picks the connection. */
  interface Api {
    CompletionStage<LoadBalancer> createLb(int i, String project, CreateLoadBalancerRequest r);

    CompletionStage<Pool> createPool(int i, String project, CreatePoolRequest r);

    CompletionStage<Listener> createListener(int i, String project, CreateListenerRequest r);

    CompletionStage<Backend> createBackend(int i, String project, CreateBackendRequest r);

    CompletionStage<LoadBalancer> getLb(int i, String project, GetLoadBalancerRequest r);

    CompletionStage<Backend> getBackend(int i, String project, GetBackendRequest r);

    void close();
  }

  /** pekko-grpc's generated clients (what TestServer and the CLI use). */
  static final class PekkoApi implements Api {
    private final Conn[] conns;

    PekkoApi(ActorSystem<?> system, int port, int n) {
      conns = new Conn[n];
      for (int i = 0; i < n; i++) conns[i] = new Conn(system, port);
    }

    private Conn c(int i) {
      return conns[i % conns.length];
    }

    @Override
    public CompletionStage<LoadBalancer> createLb(int i, String project, CreateLoadBalancerRequest r) {
      return as(c(i).lbs.createLoadBalancer(), project).invoke(r);
    }

    @Override
    public CompletionStage<Pool> createPool(int i, String project, CreatePoolRequest r) {
      return as(c(i).pools.createPool(), project).invoke(r);
    }

    @Override
    public CompletionStage<Listener> createListener(int i, String project, CreateListenerRequest r) {
      return as(c(i).listeners.createListener(), project).invoke(r);
    }

    @Override
    public CompletionStage<Backend> createBackend(int i, String project, CreateBackendRequest r) {
      return as(c(i).backends.createBackend(), project).invoke(r);
    }

    @Override
    public CompletionStage<LoadBalancer> getLb(int i, String project, GetLoadBalancerRequest r) {
      return as(c(i).lbs.getLoadBalancer(), project).invoke(r);
    }

    @Override
    public CompletionStage<Backend> getBackend(int i, String project, GetBackendRequest r) {
      return as(c(i).backends.getBackend(), project).invoke(r);
    }

    @Override
    public void close() {
      for (Conn c : conns) c.close();
    }
  }

  /** grpc-java alone: a lighter client, so that more of the two cores are left to the server. */
  static final class GrpcJavaApi implements Api {
    static final MethodDescriptor<CreateLoadBalancerRequest, LoadBalancer> CREATE_LB = RawGrpc.method(
        "LoadBalancerService", "CreateLoadBalancer", CreateLoadBalancerRequest.getDefaultInstance(),
        LoadBalancer.getDefaultInstance());
    static final MethodDescriptor<GetLoadBalancerRequest, LoadBalancer> GET_LB = RawGrpc.method(
        "LoadBalancerService", "GetLoadBalancer", GetLoadBalancerRequest.getDefaultInstance(),
        LoadBalancer.getDefaultInstance());
    static final MethodDescriptor<CreatePoolRequest, Pool> CREATE_POOL = RawGrpc.method("PoolService", "CreatePool",
        CreatePoolRequest.getDefaultInstance(), Pool.getDefaultInstance());
    static final MethodDescriptor<CreateListenerRequest, Listener> CREATE_LISTENER = RawGrpc.method(
        "ListenerService", "CreateListener", CreateListenerRequest.getDefaultInstance(), Listener.getDefaultInstance());
    static final MethodDescriptor<CreateBackendRequest, Backend> CREATE_BACKEND = RawGrpc.method("BackendService",
        "CreateBackend", CreateBackendRequest.getDefaultInstance(), Backend.getDefaultInstance());
    static final MethodDescriptor<GetBackendRequest, Backend> GET_BACKEND = RawGrpc.method("BackendService",
        "GetBackend", GetBackendRequest.getDefaultInstance(), Backend.getDefaultInstance());

    private final ManagedChannel[] channels;

    GrpcJavaApi(int port, int n) {
      channels = new ManagedChannel[n];
      for (int i = 0; i < n; i++) channels[i] = RawGrpc.channel(port);
    }

    private ManagedChannel c(int i) {
      return channels[i % channels.length];
    }

    @Override
    public CompletionStage<LoadBalancer> createLb(int i, String project, CreateLoadBalancerRequest r) {
      return RawGrpc.call(c(i), CREATE_LB, r, project);
    }

    @Override
    public CompletionStage<Pool> createPool(int i, String project, CreatePoolRequest r) {
      return RawGrpc.call(c(i), CREATE_POOL, r, project);
    }

    @Override
    public CompletionStage<Listener> createListener(int i, String project, CreateListenerRequest r) {
      return RawGrpc.call(c(i), CREATE_LISTENER, r, project);
    }

    @Override
    public CompletionStage<Backend> createBackend(int i, String project, CreateBackendRequest r) {
      return RawGrpc.call(c(i), CREATE_BACKEND, r, project);
    }

    @Override
    public CompletionStage<LoadBalancer> getLb(int i, String project, GetLoadBalancerRequest r) {
      return RawGrpc.call(c(i), GET_LB, r, project);
    }

    @Override
    public CompletionStage<Backend> getBackend(int i, String project, GetBackendRequest r) {
      return RawGrpc.call(c(i), GET_BACKEND, r, project);
    }

    @Override
    public void close() {
      for (ManagedChannel c : channels) RawGrpc.shutdown(c);
    }
  }

  // ------------------------------------------------------------------ phases

  private Phase setup() {
    Phase lb = BenchSupport.drive("setup-lb", lbs, concurrency, serverPid, i -> api.createLb(i, project(i, projects),
            CreateLoadBalancerRequest.newBuilder()
                .setLoadBalancer(LoadBalancerSpec.newBuilder().setName(prefix + "-ws-" + i)).build())
        .thenAcceptAsync(r -> lbIds[i] = r.getId(), BenchSupport.DIRECT));
    check(lb);
    check(BenchSupport.drive("setup-pool", lbs, concurrency, serverPid, i -> api.createPool(i, project(i, projects),
            CreatePoolRequest.newBuilder().setLoadBalancerId(lbIds[i]).setPool(PoolSpec.newBuilder().setName("pool")
                .setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.ROUND_ROBIN)).build())
        .thenAcceptAsync((Pool r) -> poolIds[i] = r.getId(), BenchSupport.DIRECT)));
    check(BenchSupport.drive("setup-listener", lbs, concurrency, serverPid, i -> api.createListener(i,
        project(i, projects), CreateListenerRequest.newBuilder().setLoadBalancerId(lbIds[i])
            .setListener(ListenerSpec.newBuilder().setName("http").setProtocol(Protocol.TCP).setProtocolPort(80)
                .setDefaultPoolId(poolIds[i])).build())));
    return lb;
  }

  private static void check(Phase p) {
    if (p.errors > 0) throw new IllegalStateException(p.op + ": " + p.errors + " errors, first: " + p.firstError);
  }

  private Phase lbCreates(int n) {
    int base = lbSeq;
    lbSeq += n;
    return BenchSupport.drive("lb-create", n, concurrency, serverPid, i -> {
      int k = base + i;
      return api.createLb(i, project(k, projects), CreateLoadBalancerRequest.newBuilder()
          .setLoadBalancer(LoadBalancerSpec.newBuilder().setName(prefix + "-lb-" + k)).build());
    });
  }

  private Phase backendCreates(int n) {
    long base = addressSeq;
    addressSeq += n;
    String[][] made = new String[n][];
    Phase p = BenchSupport.drive("backend-create", n, concurrency, serverPid, i -> {
      int lb = i % lbs;
      long a = base + i + 1;
      String address = "10." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255);
      return api.createBackend(i, project(lb, projects), CreateBackendRequest.newBuilder()
              .setLoadBalancerId(lbIds[lb]).setPoolId(poolIds[lb])
              .setBackend(BackendSpec.newBuilder().setAddress(address).setProtocolPort(8080)).build())
          .thenAcceptAsync((Backend b) -> made[i] = new String[] {String.valueOf(lb), b.getId()}, BenchSupport.DIRECT);
    });
    for (String[] m : made) if (m != null) backends.add(m);
    return p;
  }

  private Phase getLbs(int n) {
    return BenchSupport.drive("get-lb", n, concurrency, serverPid, i -> {
      int lb = ThreadLocalRandom.current().nextInt(lbs);
      return api.getLb(i, project(lb, projects), GetLoadBalancerRequest.newBuilder().setId(lbIds[lb]).build());
    });
  }

  private Phase getBackends(int n) {
    String[][] known = backends.toArray(new String[0][]);
    if (known.length == 0) throw new IllegalStateException("no backends to get");
    return BenchSupport.drive("get-backend", n, concurrency, serverPid, i -> {
      String[] b = known[ThreadLocalRandom.current().nextInt(known.length)];
      int lb = Integer.parseInt(b[0]);
      return api.getBackend(i, project(lb, projects),
          GetBackendRequest.newBuilder().setLoadBalancerId(lbIds[lb]).setId(b[1]).build());
    });
  }

  // ------------------------------------------------------------------ main

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv);
    int lbCreates = a.integer("lb-creates", 200);
    int backendCreates = a.integer("backends", 2000);
    int gets = a.integer("gets", 20000);
    int runs = a.integer("runs", 3);
    int warmups = a.integer("warmup-runs", 1);
    String label = a.str("label", "c" + a.integer("concurrency", 64));
    List<String> only = List.of(a.str("phases", "lb-create,backend-create,get-lb,get-backend").split(","));
    String out = a.str("out", "");
    Path outFile = out.isEmpty() ? null : Path.of(out);

    ActorSystem<Void> system = BenchSupport.clientSystem("bench-client");
    int exit = 0;
    try {
      var bench = new ControlPlaneBench(system, a);
      System.out.printf(Locale.ROOT, "control-plane: port %d, server pid %d, %d working-set LBs in %d project(s), "
              + "concurrency %d over %d %s connection(s); per run %d LB creates, %d backend creates, %d gets of each"
              + " kind;"
              + " %d warm-up + %d measured runs%n", bench.port, bench.serverPid, bench.lbs, bench.projects,
          bench.concurrency, bench.connections, bench.clientKind, lbCreates, backendCreates, gets, warmups, runs);
      if (a.integer("setup", 1) == 1) {
        Phase s = bench.setup();
        System.out.printf(Locale.ROOT, "setup: %d LBs with a pool and a listener (LB creates %s/s)%n", bench.lbs,
            fmt(s.rate()));
      } else {
        // Against a FloorServer: nothing to create, any id is answered.
        for (int i = 0; i < bench.lbs; i++) bench.lbIds[i] = java.util.UUID.randomUUID().toString();
        if (!only.equals(List.of("get-lb"))) throw new IllegalArgumentException("--setup 0 needs --phases get-lb");
      }

      Map<String, List<Phase>> byOp = new LinkedHashMap<>();
      List<String> lines = new ArrayList<>();
      for (int r = -warmups + 1; r <= runs; r++) {
        boolean warm = r <= 0;
        List<Phase> phases = new ArrayList<>();
        if (only.contains("lb-create")) phases.add(bench.lbCreates(lbCreates));
        // GetBackend needs backends: the first run creates some even when backend-create is not measured.
        if (only.contains("backend-create") || (only.contains("get-backend") && bench.backends.isEmpty())) {
          phases.add(bench.backendCreates(backendCreates));
        }
        if (only.contains("get-lb")) phases.add(bench.getLbs(gets));
        if (only.contains("get-backend")) phases.add(bench.getBackends(gets));
        double load = BenchSupport.loadAverage();
        for (Phase p : phases) {
          printPhase(warm ? "warm-up" : "run " + r, p);
          if (!warm) {
            byOp.computeIfAbsent(p.op, k -> new ArrayList<>()).add(p);
            lines.add(String.join("\t", label, String.valueOf(r), p.op, String.valueOf(bench.concurrency),
                bench.connections + "/" + bench.clientKind, String.valueOf(bench.projects), String.valueOf(bench.lbs),
                String.valueOf(p.count), String.valueOf(p.errors), f3(p.seconds), f3(p.rate()), f3(p.pct(50)),
                f3(p.pct(90)), f3(p.pct(99)), f3(p.pct(100)), f3(p.serverCpuUsPerOp()), f3(p.clientCpuUsPerOp()),
                f3(p.serverCores()), f3(p.clientCores()), f3(p.otherCores()), f3(load), p.serverThreads));
          }
        }
      }
      BenchSupport.append(outFile, HEADER, lines);
      printSummary(label, bench, byOp);
      for (var ps : byOp.values()) for (Phase p : ps) if (p.errors > 0) exit = 2;
      bench.api.close();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
    System.exit(exit);
  }

  static String f3(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static void printPhase(String run, Phase p) {
    System.out.printf(Locale.ROOT, "%-8s %-15s %7d ops %6.2f s %9s ops/s  p50 %7s ms  p99 %7s ms  max %7s ms"
            + "  server %6s us/op  client %6s us/op  cores server/client/other %s/%s/%s%s%n",
        run, p.op, p.count, p.seconds, fmt(p.rate()), fmt(p.pct(50)), fmt(p.pct(99)), fmt(p.pct(100)),
        fmt(p.serverCpuUsPerOp()), fmt(p.clientCpuUsPerOp()), fmt(p.serverCores()), fmt(p.clientCores()),
        fmt(p.otherCores()), p.errors > 0 ? "  ERRORS " + p.errors + " first: " + p.firstError : "");
    System.out.println("         server CPU ms by thread: " + p.serverThreads);
  }

  private static void printSummary(String label, ControlPlaneBench b, Map<String, List<Phase>> byOp) {
    System.out.println();
    System.out.printf(Locale.ROOT, "Medians of %d runs (%s: concurrency %d, %d %s connection(s), %d project(s), "
            + "%d working-set LBs)%n", byOp.values().iterator().next().size(), label, b.concurrency, b.connections,
        b.clientKind, b.projects, b.lbs);
    System.out.println("| op | ops/s | goal | ratio | p50 ms | p99 ms | server CPU us/op | client CPU us/op "
        + "| server cores | other cores | errors |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (var e : byOp.entrySet()) {
      List<Phase> ps = e.getValue();
      double rate = median(ps.stream().map(Phase::rate).toList());
      double goal = GOALS.getOrDefault(e.getKey(), 0.0);
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |%n", e.getKey(),
          fmt(rate), goal > 0 ? fmt(goal) : "-", goal > 0 ? fmt(rate / goal) : "-",
          fmt(median(ps.stream().map(p -> p.pct(50)).toList())), fmt(median(ps.stream().map(p -> p.pct(99)).toList())),
          fmt(median(ps.stream().map(Phase::serverCpuUsPerOp).toList())),
          fmt(median(ps.stream().map(Phase::clientCpuUsPerOp).toList())),
          fmt(median(ps.stream().map(Phase::serverCores).toList())),
          fmt(median(ps.stream().map(Phase::otherCores).toList())), ps.stream().mapToLong(p -> p.errors).sum());
    }
  }
}
