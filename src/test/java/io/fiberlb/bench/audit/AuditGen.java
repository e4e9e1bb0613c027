package io.fiberlb.bench.audit;

import io.fiberlb.FiberLb;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerProtocol.ChildReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.DeletedReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.LoadBalancerReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Rejected;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerProtocol.StatusReply;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Enums.HealthCheckType;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.LbAlgorithm;
import io.fiberlb.controlplane.model.Enums.Protocol;
import io.fiberlb.controlplane.model.Enums.SessionPersistenceType;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Builds a real journal for the audit benchmarks by running the real load balancer entities in-process (a FiberLB
 * node on an H2 file, commands sent straight to the sharded entities, no gRPC): every event is persisted, tagged and
 * snapshotted by the entity itself, exactly as the server does it.
 *
 * <p>Two projects: {@code bench/replay} with one load balancer of {@code --replay-events} events, and
 * {@code bench/export} with {@code --export-lbs} load balancers of about {@code --export-events} events in all.
 * Each load balancer gets 2 health checks, 4 pools, 4 listeners and 6 backends per pool (34 children), then a mix
 * of updates until it has its events: backend weights (most), backend admin state and monitor port, listener
 * limits, timeouts and allowed CIDRs, pool algorithms, health check intervals, the load balancer's description,
 * and backend churn (a delete and a create). Callers rotate between a few principals and peers.
 *
 * <p>The H2 file is opened without WRITE_DELAY=0 (H2's default: commits reach the file within 500 ms), which is
 * faster and changes nothing in what is written. Writes a manifest (properties) with the ids and counts.
 *
 * <p>Usage: {@code AuditGen --data-dir D --manifest F [--replay-events N] [--export-events M] [--export-lbs L]
 * [--concurrency C] [--export-first-index I --merge-manifest OLD]} (the last two add load balancers to a journal).
 * The manifest's event counts are counted in the journal (event_tag) after the node has stopped.
 */
public final class AuditGen {
  static final String ORG = "bench";
  static final String REPLAY_PROJECT = "replay";
  static final String EXPORT_PROJECT = "export";
  private static final String[] PRINCIPALS = {"local:alice", "local:bob", "local:ci-deployer", "local:autoscaler"};
  private static final LbAlgorithm[] ALGORITHMS =
      {LbAlgorithm.ROUND_ROBIN, LbAlgorithm.LEAST_CONNECTIONS, LbAlgorithm.WEIGHTED_ROUND_ROBIN, LbAlgorithm.MAGLEV};
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final ClusterSharding sharding;
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong commands = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();

  private AuditGen(ClusterSharding sharding) {
    this.sharding = sharding;
  }

  public static void main(String[] argv) throws Exception {
    var args = new AuditSupport.Args(argv);
    Path data = Path.of(args.required("data-dir"));
    Path manifest = Path.of(args.required("manifest"));
    long replayEvents = args.longValue("replay-events", 5_000);
    long exportEvents = args.longValue("export-events", 50_000);
    int exportLbs = args.integer("export-lbs", Math.max(1, (int) Math.min(1000, exportEvents / 1000)));
    int concurrency = args.integer("concurrency", 64);
    // To add load balancers to a journal that has some (ids are derived from the index).
    int firstIndex = args.integer("export-first-index", 0);
    Files.createDirectories(data);

    var config = AuditSupport.nodeConfig(data, Map.of(
        "fiberlb.vip-range", args.str("vip-range", "127.16.0.0/16"),
        "fiberlb.quotas.load-balancers", -1,
        "fiberlb.quotas.listeners", -1,
        "fiberlb.quotas.pools", -1,
        "fiberlb.quotas.backends", -1,
        "fiberlb.quotas.health-checks", -1), false);
    long t0 = System.nanoTime();
    FiberLb.Node node = FiberLb.start(config);
    var props = new Properties();
    var gen = new AuditGen(ClusterSharding.get(node.system()));
    try {
      var progress = node.system().scheduler().scheduleAtFixedRate(Duration.ofSeconds(10), Duration.ofSeconds(10),
          gen::progress, node.system().executionContext());
      long startMs = System.currentTimeMillis();

      // The replay load balancer first and alone: one entity writes one event at a time, so it is latency bound.
      if (replayEvents > 0) {
        var lb = new LbDriver(gen, REPLAY_PROJECT, 0, replayEvents, new Random(1));
        lb.run().toCompletableFuture().join();
        StatusReply st = lb.status().toCompletableFuture().join();
        props.setProperty("replay.org", ORG);
        props.setProperty("replay.project", REPLAY_PROJECT);
        props.setProperty("replay.lb", lb.id);
        props.setProperty("replay.events", Long.toString(lb.events));
        props.setProperty("replay.version", Long.toString(st.lb().version()));
        props.setProperty("replay.children", Integer.toString(st.children().size()));
        props.setProperty("replay.gen_seconds", fmt((System.currentTimeMillis() - startMs) / 1000.0));
        System.out.printf("replay LB %s: %d events, version %d, %d children, %.1f s%n", lb.id, lb.events,
            st.lb().version(), st.children().size(), (System.currentTimeMillis() - startMs) / 1000.0);
      }

      if (exportEvents > 0) {
        long exportStart = System.currentTimeMillis();
        long before = gen.events.get();
        var queue = new ConcurrentLinkedQueue<LbDriver>();
        long per = exportEvents / exportLbs;
        for (int i = 0; i < exportLbs; i++) {
          long target = per + (i < exportEvents % exportLbs ? 1 : 0);
          queue.add(new LbDriver(gen, EXPORT_PROJECT, firstIndex + i, target, new Random(1000 + firstIndex + i)));
        }
        var all = new ArrayList<LbDriver>(queue);
        var workers = new ArrayList<CompletableFuture<Void>>();
        for (int w = 0; w < Math.min(concurrency, exportLbs); w++) workers.add(work(queue));
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        long n = all.stream().mapToLong(d -> d.events).sum();
        props.setProperty("export.org", ORG);
        props.setProperty("export.project", EXPORT_PROJECT);
        props.setProperty("export.lbs", Integer.toString(exportLbs));
        props.setProperty("export.events", Long.toString(n));
        props.setProperty("export.first_lb", all.get(0).id);
        props.setProperty("export.gen_seconds", fmt((System.currentTimeMillis() - exportStart) / 1000.0));
        System.out.printf("export project %s/%s: %d LBs, %d events, %.1f s (%.0f events/s)%n", ORG, EXPORT_PROJECT,
            exportLbs, n, (System.currentTimeMillis() - exportStart) / 1000.0,
            (gen.events.get() - before) * 1000.0 / Math.max(1, System.currentTimeMillis() - exportStart));
      }
      progress.cancel();
      props.setProperty("commands", Long.toString(gen.commands.get()));
      props.setProperty("events", Long.toString(gen.events.get()));
    } finally {
      long stopStart = System.nanoTime();
      node.stop();
      System.out.printf("node stopped in %.1f s; total %.1f s%n", (System.nanoTime() - stopStart) / 1e9,
          (System.nanoTime() - t0) / 1e9);
    }
    // The journal's own counts, after the node has stopped (what the benchmarks will read).
    String url = config.getString("fiberlb.database.url");
    try (var c = java.sql.DriverManager.getConnection(url, "fiberlb", "fiberlb")) {
      for (String project : new String[] {REPLAY_PROJECT, EXPORT_PROJECT}) {
        try (var ps = c.prepareStatement("SELECT COUNT(*) FROM \"event_tag\" WHERE \"tag\" = ?")) {
          ps.setString(1, LoadBalancerEntity.projectTag(ORG, project));
          try (var rs = ps.executeQuery()) {
            rs.next();
            props.setProperty("journal." + project + ".events", Long.toString(rs.getLong(1)));
          }
        }
      }
      try (var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM \"event_journal\"")) {
        rs.next();
        props.setProperty("journal.rows", Long.toString(rs.getLong(1)));
      }
    }
    if (props.containsKey("export.events")) {
      props.setProperty("export.events", props.getProperty("journal." + EXPORT_PROJECT + ".events"));
    }
    Path existing = Path.of(args.str("merge-manifest", "-"));
    if (Files.exists(existing)) {
      var old = new Properties();
      try (var r = Files.newBufferedReader(existing)) {
        old.load(r);
      }
      for (String k : old.stringPropertyNames()) props.putIfAbsent(k, old.getProperty(k));
      if (old.containsKey("export.lbs") && firstIndex > 0) {
        props.setProperty("export.lbs", Integer.toString(Integer.parseInt(old.getProperty("export.lbs")) + exportLbs));
      }
    }
    props.setProperty("retries", Long.toString(gen.retries.get()));
    System.out.println("journal: " + props.getProperty("journal." + EXPORT_PROJECT + ".events") + " events in "
        + EXPORT_PROJECT + ", " + props.getProperty("journal." + REPLAY_PROJECT + ".events") + " in " + REPLAY_PROJECT
        + ", " + props.getProperty("journal.rows") + " journal rows in all; " + gen.retries.get() + " retries");
    try (var w = Files.newBufferedWriter(manifest)) {
      props.store(w, "AuditGen manifest");
    }
  }

  /** One worker: drives load balancers from the queue, one after another. */
  private static CompletableFuture<Void> work(ConcurrentLinkedQueue<LbDriver> queue) {
    LbDriver next = queue.poll();
    if (next == null) return CompletableFuture.completedFuture(null);
    return next.run().thenCompose(x -> work(queue)).toCompletableFuture();
  }

  private long lastEvents;
  private long lastAt = System.nanoTime();

  private void progress() {
    long e = events.get();
    long now = System.nanoTime();
    System.out.printf("  ... %d events (%.0f/s), %d commands%n", e, (e - lastEvents) / ((now - lastAt) / 1e9),
        commands.get());
    lastEvents = e;
    lastAt = now;
  }

  private static String fmt(double v) {
    return String.format(java.util.Locale.ROOT, "%.1f", v);
  }

  /** Drives one load balancer: create, children, then updates until it has {@code target} events. */
  private static final class LbDriver {
    final AuditGen gen;
    final String project;
    final int index;
    final long target;
    final Random rnd;
    final String id;
    final EntityRef<Command> ref;
    long events;
    int addressCounter;
    final List<String> healthChecks = new ArrayList<>();
    final List<String> pools = new ArrayList<>();
    final List<String> listeners = new ArrayList<>();
    /** backend id -> [pool id, weight, admin (1/0), monitor port] */
    final List<String> backendIds = new ArrayList<>();
    final List<String> backendPools = new ArrayList<>();
    final List<int[]> backendState = new ArrayList<>();
    final int[] listenerLimit = new int[4];
    final int[] listenerIdle = new int[4];
    final int[] poolAlgorithm = new int[4];
    final long[] hcInterval = new long[2];

    LbDriver(AuditGen gen, String project, int index, long target, Random rnd) {
      this.gen = gen;
      this.project = project;
      this.index = index;
      this.target = target;
      this.rnd = rnd;
      this.id = LoadBalancerEntity.idFor(ORG, project, "bench-lb-" + index);
      this.ref = gen.sharding.entityRefFor(LoadBalancerEntity.TYPE_KEY, id);
    }

    Caller caller() {
      int who = rnd.nextInt(PRINCIPALS.length);
      return new Caller(ORG, project, PRINCIPALS[who], "127.0.0." + (who + 1) + ":" + (40000 + rnd.nextInt(20000)),
          "req-" + Long.toHexString(rnd.nextLong()));
    }

    CompletionStage<Reply> ask(Function<ActorRef<Reply>, Command> make) {
      return ask(make, 0);
    }

    /**
     * As a client would: UNAVAILABLE (the project entity did not answer in time: one project entity serves every
     * load balancer of the project, and this machine is shared) is retried after a pause; nothing was written.
     */
    CompletionStage<Reply> ask(Function<ActorRef<Reply>, Command> make, int attempt) {
      gen.commands.incrementAndGet();
      return ref.<Reply>ask(make::apply, TIMEOUT).thenCompose(r -> {
        if (r instanceof Rejected rej && rej.rejection().code() == Rejection.Code.UNAVAILABLE && attempt < 20) {
          gen.retries.incrementAndGet();
          var later = new CompletableFuture<Reply>();
          CompletableFuture.delayedExecutor(500L * (attempt + 1), java.util.concurrent.TimeUnit.MILLISECONDS)
              .execute(() -> ask(make, attempt + 1).whenComplete((x, err) -> {
                if (err != null) later.completeExceptionally(err);
                else later.complete(x);
              }));
          return later;
        }
        if (r instanceof Rejected rej) throw new IllegalStateException("load balancer " + id + ": " + rej.rejection());
        return CompletableFuture.completedFuture(r);
      });
    }

    /** An event was written. */
    Reply wrote(Reply r) {
      events++;
      gen.events.incrementAndGet();
      return r;
    }

    CompletionStage<StatusReply> status() {
      return ask(r -> new LoadBalancerEntity.GetStatus(caller(), r)).thenApply(r -> (StatusReply) r);
    }

    CompletionStage<Void> run() {
      var spec = new LoadBalancerPatch("lb-" + index, "benchmark load balancer " + index, null, true,
          List.of("env:bench", "team:" + (index % 7)));
      CompletionStage<?> s = ask(r -> new LoadBalancerEntity.CreateLoadBalancer(caller(), spec, r)).thenApply(r -> {
        if (!(r instanceof LoadBalancerReply)) throw new IllegalStateException("create: " + r);
        events += 2; // CreationStarted, Created
        gen.events.addAndGet(2);
        return r;
      });
      for (int h = 0; h < 2; h++) {
        int hh = h;
        s = s.thenCompose(x -> createChild("", new HealthCheck.Patch("hc-" + hh, hh == 0 ? HealthCheckType.TCP
            : HealthCheckType.HTTP, 5000L, 2000L, 2, 3, "GET", "/healthz", "200-299", true, List.of())))
            .thenAccept(c -> {
              healthChecks.add(c);
              hcInterval[hh] = 5000;
            });
      }
      for (int p = 0; p < 4; p++) {
        int pp = p;
        s = s.thenCompose(x -> createChild("", new Pool.Patch("pool-" + pp, "pool " + pp, Protocol.TCP,
            ALGORITHMS[0], SessionPersistenceType.NONE, null, healthChecks.get(pp % 2), true, List.of("tier:web"))))
            .thenAccept(pools::add);
      }
      int[] ports = {80, 443, 8080, 8443};
      for (int l = 0; l < 4; l++) {
        int ll = l;
        s = s.thenCompose(x -> createChild("", new Listener.Patch("listener-" + ll, "port " + ports[ll],
            Protocol.TCP, ports[ll], pools.get(ll), -1, 50_000L, 5_000L, 50_000L, List.of("0.0.0.0/0"), true,
            List.of()))).thenAccept(c -> {
              listeners.add(c);
              listenerLimit[ll] = -1;
              listenerIdle[ll] = 50_000;
            });
      }
      for (int p = 0; p < 4; p++) {
        for (int b = 0; b < 6; b++) {
          int pp = p;
          s = s.thenCompose(x -> addBackend(pp));
        }
      }
      return s.thenCompose(x -> updates()).thenCompose(x -> status()).thenAccept(st -> {
        // The journal's truth: CreationStarted, then one event per version (Created is version 1).
        long real = st.lb().version() + 1;
        gen.events.addAndGet(real - events);
        events = real;
      });
    }

    CompletionStage<String> createChild(String poolId, ChildPatch patch) {
      return ask(r -> new LoadBalancerEntity.CreateChild(caller(), poolId, patch, "", r)).thenApply(this::wrote)
          .thenApply(r -> ((ChildReply) r).child().child().id());
    }

    CompletionStage<Void> addBackend(int pool) {
      int n = ++addressCounter;
      String address = "10." + (index & 0xff) + "." + ((n >> 8) & 0xff) + "." + (n & 0xff);
      String poolId = pools.get(pool);
      int weight = 1 + rnd.nextInt(100);
      return createChild(poolId, new Backend.Patch("backend-" + n, address, 8080, weight, true, false,
          0, List.of("zone:" + (char) ('a' + n % 3)))).thenAccept(id -> {
            backendIds.add(id);
            backendPools.add(poolId);
            backendState.add(new int[] {weight, 1, 0});
          });
    }

    /** Updates one after another (each waits for the previous reply), iteratively so the stack stays flat. */
    CompletionStage<Void> updates() {
      var done = new CompletableFuture<Void>();
      step(done);
      return done;
    }

    private void step(CompletableFuture<Void> done) {
      if (events >= target) {
        done.complete(null);
        return;
      }
      CompletionStage<?> next;
      try {
        next = oneUpdate();
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
        return;
      }
      next.whenComplete((x, err) -> {
        if (err != null) done.completeExceptionally(err);
        else step(done);
      });
    }

    private CompletionStage<?> oneUpdate() {
      int dice = rnd.nextInt(100);
      if (dice < 70) { // a backend's weight
        int i = rnd.nextInt(backendIds.size());
        return updateBackend(i, new Backend.Patch(null, null, null, newWeight(i), null, null, null, null));
      }
      if (dice < 74) { // drain / undrain via admin state
        int i = rnd.nextInt(backendIds.size());
        boolean up = backendState.get(i)[1] == 0;
        backendState.get(i)[1] = up ? 1 : 0;
        return updateBackend(i, new Backend.Patch(null, null, null, null, up, null, null, null));
      }
      if (dice < 76) { // monitor port
        int i = rnd.nextInt(backendIds.size());
        int port = backendState.get(i)[2] == 0 ? 9100 : 0;
        backendState.get(i)[2] = port;
        return updateBackend(i, new Backend.Patch(null, null, null, null, null, null, port, null));
      }
      if (dice < 84) { // a listener's limits or timeouts or allowed CIDRs
        int l = rnd.nextInt(4);
        Listener.Patch p;
        int what = rnd.nextInt(3);
        if (what == 0) {
          listenerLimit[l] = listenerLimit[l] == -1 ? 1000 + rnd.nextInt(9000) : -1;
          p = new Listener.Patch(null, null, null, null, null, listenerLimit[l], null, null, null, null, null, null);
        } else if (what == 1) {
          int idle = 30_000 + 1000 * rnd.nextInt(60);
          listenerIdle[l] = idle == listenerIdle[l] ? idle + 500 : idle;
          p = new Listener.Patch(null, null, null, null, null, null, (long) listenerIdle[l], null, null, null, null,
              null);
        } else {
          var cidrs = List.of("10." + rnd.nextInt(256) + ".0.0/16", "192.168." + rnd.nextInt(256) + ".0/24");
          p = new Listener.Patch(null, null, null, null, null, null, null, null, null, cidrs, null, null);
        }
        Listener.Patch patch = p;
        return ask(r -> new LoadBalancerEntity.UpdateChild(caller(), Kind.LISTENER, listeners.get(l), patch, null, r))
            .thenApply(this::wrote);
      }
      if (dice < 88) { // a pool's algorithm
        int p = rnd.nextInt(4);
        poolAlgorithm[p] = (poolAlgorithm[p] + 1 + rnd.nextInt(ALGORITHMS.length - 1)) % ALGORITHMS.length;
        var patch = new Pool.Patch(null, null, null, ALGORITHMS[poolAlgorithm[p]], null, null, null, null, null);
        return ask(r -> new LoadBalancerEntity.UpdateChild(caller(), Kind.POOL, pools.get(p), patch, null, r))
            .thenApply(this::wrote);
      }
      if (dice < 91) { // a health check's interval
        int h = rnd.nextInt(2);
        long interval = 3000 + 1000L * rnd.nextInt(10);
        hcInterval[h] = interval == hcInterval[h] ? interval + 500 : interval;
        var patch = new HealthCheck.Patch(null, null, hcInterval[h], null, null, null, null, null, null, null, null);
        return ask(r -> new LoadBalancerEntity.UpdateChild(caller(), Kind.HEALTH_CHECK, healthChecks.get(h), patch,
            null, r)).thenApply(this::wrote);
      }
      if (dice < 93) { // the load balancer's description
        var patch = new LoadBalancerPatch(null, "benchmark load balancer " + index + ", change "
            + Long.toHexString(rnd.nextLong()), null, null, null);
        return ask(r -> new LoadBalancerEntity.UpdateLoadBalancer(caller(), patch, null, r)).thenApply(this::wrote);
      }
      // churn: a backend replaced by a new one in the same pool
      int i = rnd.nextInt(backendIds.size());
      String gone = backendIds.get(i);
      int pool = pools.indexOf(backendPools.get(i));
      return ask(r -> new LoadBalancerEntity.DeleteChild(caller(), Kind.BACKEND, gone, null, r)).thenApply(r -> {
        if (!(r instanceof DeletedReply)) throw new IllegalStateException("delete: " + r);
        wrote(r);
        backendIds.remove(i);
        backendPools.remove(i);
        backendState.remove(i);
        return r;
      }).thenCompose(x -> addBackend(pool));
    }

    private int newWeight(int i) {
      int[] st = backendState.get(i);
      int w = 1 + rnd.nextInt(256);
      if (w == st[0]) w = w == 256 ? 1 : w + 1;
      st[0] = w;
      return w;
    }

    private CompletionStage<Reply> updateBackend(int i, Backend.Patch patch) {
      String bid = backendIds.get(i);
      return ask(r -> new LoadBalancerEntity.UpdateChild(caller(), Kind.BACKEND, bid, patch, null, r))
          .thenApply(r -> {
            // An update that changes nothing is answered without an event; these all change something, but count
            // only what was written: the version in the reply moved.
            return wrote(r);
          });
    }
  }
}
