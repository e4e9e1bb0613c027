package io.fiberlb.dataplane;

import io.fiberlb.dataplane.engine.Engine;
import io.fiberlb.dataplane.engine.netty.NettyEngine;
import io.fiberlb.dataplane.engine.pekko.PekkoTcpEngine;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.TrafficTotals;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.port.DataPlanePort;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.port.TrafficStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;

/**
 * The data plane of one node: what each load balancer entity running here spawns to serve its listeners, and the
 * counters of all of them. The control plane knows it only as a {@link DataPlanePort}.
 */
public final class DataPlane implements DataPlanePort {
  private final ActorSystem<?> system;
  private final DataPlaneSettings settings;
  private final StatsRegistry stats = new StatsRegistry();
  private final Engine engine;
  private final ServingGate gate;
  private final TrafficTotals totals;
  private final ServedConfigs served;

  /** Starts the engine {@code settings} name; it stops when the actor system terminates. */
  public DataPlane(ActorSystem<?> system, DataPlaneSettings settings) {
    this.system = system;
    this.settings = settings;
    this.engine = switch (settings.engine()) {
      case "pekko" -> new PekkoTcpEngine(system, settings.acceptors(), settings.backlog());
      default -> new NettyEngine(settings.eventLoops(), settings.backlog(), settings.epoll(), settings.udpMaxFlows());
    };
    this.gate = new ServingGate(system);
    system.getWhenTerminated().thenRun(engine::close);
    var db = system.settings().config().getConfig("fiberlb.database");
    this.totals = TrafficTotals.start(stats, settings.statsFlushInterval(), db.getString("url"), db.getString("user"),
        db.getString("password"));
    if (totals != null) {
      // After the shard regions have stopped their load balancers (each saved as it stopped): the rest, then close.
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
          "save-traffic-totals", () -> CompletableFuture.runAsync(totals::close,
              r -> new Thread(r, "fiberlb-traffic-totals-close").start()).thenApply(v -> Done.getInstance()));
    }
    this.served = settings.serveBeforeRecovery()
        ? new ServedConfigs(db.getString("url"), db.getString("user"), db.getString("password")) : null;
    if (served != null) {
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
          "save-served-configs", () -> CompletableFuture.runAsync(served::close,
              r -> new Thread(r, "fiberlb-served-close").start()).thenApply(v -> Done.getInstance()));
    }
    org.slf4j.LoggerFactory.getLogger(DataPlane.class).info("data plane engine: {}", engine.name());
  }

  /**
   * Builds a TERMINATED_HTTPS listener's {@link io.fiberlb.dataplane.engine.netty.TlsTermination} from its
   * {@link io.fiberlb.port.DesiredTls}; null (the default) until the TLS configuration is wired in.
   */
  private volatile java.util.function.Function<io.fiberlb.port.DesiredListener,
      io.fiberlb.dataplane.engine.netty.TlsTermination> tlsTerminations = l -> null;

  /** Sets where TERMINATED_HTTPS listeners' TLS comes from (the TLS configuration; tests give their own). */
  public void tlsTerminations(java.util.function.Function<io.fiberlb.port.DesiredListener,
      io.fiberlb.dataplane.engine.netty.TlsTermination> f) {
    this.tlsTerminations = f;
  }

  /** The TLS termination of a TERMINATED_HTTPS listener, or null while it cannot be built. */
  io.fiberlb.dataplane.engine.netty.TlsTermination tlsTermination(io.fiberlb.port.DesiredListener l) {
    return tlsTerminations.apply(l);
  }

  public Engine engine() {
    return engine;
  }

  /** Whether this node may serve VIPs now (the cluster watch sets it). */
  public ServingGate gate() {
    return gate;
  }

  public DataPlaneSettings settings() {
    return settings;
  }

  public StatsRegistry stats() {
    return stats;
  }

  /** Where traffic counters are kept across restarts; null when {@code stats-flush-interval} is 0. */
  public TrafficTotals totals() {
    return totals;
  }

  /** What each load balancer last served, to serve it again before recovery; null when that is off. */
  public ServedConfigs served() {
    return served;
  }

  /** The runtime child of one load balancer entity; it reports health and listener trouble to {@code reports}. */
  @Override
  public Behavior<RuntimeCommand> runtime(String lbId, ActorRef<DataPlaneReport> reports) {
    return LoadBalancerRuntime.create(lbId, reports, this);
  }

  /** The counters of a load balancer served here, as GetLoadBalancerStats reports them. */
  @Override
  public StatsSnapshot stats(String lbId) {
    String node = system.address().toString();
    StatsRegistry.LoadBalancerStats s = stats.find(lbId);
    if (s == null) return new StatsSnapshot(node, List.of(), List.of());
    return new StatsSnapshot(node, traffic(s.listeners), traffic(s.backends));
  }

  private static List<TrafficStats> traffic(Map<String, TrafficCounters> byId) {
    var out = new ArrayList<TrafficStats>();
    // Cumulative, as Octavia's: what was counted before this process served them included.
    byId.forEach((id, c) -> out.add(new TrafficStats(id, c.active.get(), c.totalConnections(), c.totalBytesIn(),
        c.totalBytesOut(), c.totalRejected(), c.totalConnectFailures(), c.totalErrors())));
    out.sort(java.util.Comparator.comparing(TrafficStats::id));
    return out;
  }
}
