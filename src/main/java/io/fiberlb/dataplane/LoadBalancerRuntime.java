package io.fiberlb.dataplane;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.listener.ListenerActor;
import io.fiberlb.dataplane.listener.ListenerConfig;
import io.fiberlb.dataplane.stats.BackendHealthGauge;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.TrafficTotals;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.RuntimeCommand;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The data plane of one load balancer, on the node that runs its entity: pool balancers, listener actors and health
 * monitors, converged on each {@link DesiredLoadBalancer} the entity publishes. Replay and live changes take the
 * same path: after recovery the entity publishes what it recovered, after every change of configuration what is
 * desired now, and this actor starts, reconfigures or stops whatever differs. It is the entity's child, so it stops
 * (and its listeners drain) when the entity stops or moves to another node, or when told {@code Remove}.
 *
 * <p>Health: a monitor's UP/DOWN transition changes the pool's balancer snapshot here at once, and is reported
 * ({@link DataPlaneReport.HealthTransition}) to be journaled. The entity does not publish again for it, so a flap
 * costs no diff. The verdicts this actor holds are the freshest; the journaled ones only seed a monitor it starts.
 */
public final class LoadBalancerRuntime extends AbstractBehavior<RuntimeCommand> {

  private record Health(HealthMonitor.Transition transition) implements RuntimeCommand.Internal {}

  /** What this load balancer last served (on this node or another), read when the runtime starts. */
  private record Preloaded(java.util.Optional<DesiredLoadBalancer> desired) implements RuntimeCommand.Internal {}

  static Behavior<RuntimeCommand> create(String lbId, ActorRef<DataPlaneReport> reports, DataPlane dataPlane) {
    return Behaviors.setup(ctx -> new LoadBalancerRuntime(ctx, lbId, reports, dataPlane));
  }

  private record Monitor(ActorRef<HealthMonitor.Command> ref, DesiredHealthCheck check, HealthMonitor.Target target) {}

  private final String lbId;
  private final ActorRef<DataPlaneReport> reports;
  private final DataPlane dataPlane;
  private final ActorRef<HealthMonitor.Transition> healthAdapter;
  private StatsRegistry.LoadBalancerStats stats;
  private final Map<String, PoolRuntime> pools = new HashMap<>();
  private final Map<String, ActorRef<ListenerActor.Command>> listeners = new HashMap<>();
  private final Map<String, ListenerConfig> listenerConfigs = new HashMap<>();
  private final Map<String, Monitor> monitors = new HashMap<>();
  /** Backend id to its latest health verdict (only for monitored backends). */
  private final Map<String, Boolean> verdicts = new HashMap<>();
  /** Backend id to the pool and endpoint key it is served under. */
  private final Map<String, String[]> placement = new HashMap<>();
  private long spawned;
  /** Told to Remove: the load balancer was deleted, and its saved totals go too. */
  private boolean deleted;
  /** What runs now (from the entity, or preloaded); null until the first. */
  private DesiredLoadBalancer running;
  /** What {@link ServedConfigs} holds for it as far as this runtime knows (null: nothing known). */
  private DesiredLoadBalancer saved;

  private LoadBalancerRuntime(ActorContext<RuntimeCommand> ctx, String lbId, ActorRef<DataPlaneReport> reports,
      DataPlane dataPlane) {
    super(ctx);
    this.lbId = lbId;
    this.reports = reports;
    this.dataPlane = dataPlane;
    this.healthAdapter = ctx.messageAdapter(HealthMonitor.Transition.class, Health::new);
    // Serve what was served last while the entity recovers (it spawns this runtime before its recovery starts).
    if (dataPlane.served() != null) {
      ctx.pipeToSelf(dataPlane.served().load(lbId),
          (found, error) -> new Preloaded(found == null ? java.util.Optional.empty() : found));
    }
  }

  @Override
  public Receive<RuntimeCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(RuntimeCommand.Apply.class, this::onApply)
        .onMessage(RuntimeCommand.Remove.class, r -> {
          deleted = true;
          if (dataPlane.served() != null && (running != null || saved != null)) dataPlane.served().delete(lbId);
          return Behaviors.stopped(); // children stop, listeners drain
        })
        .onMessage(Preloaded.class, this::onPreloaded)
        .onMessage(RuntimeCommand.Names.class, this::onNames)
        .onMessage(Health.class, this::onHealth)
        .onSignal(PostStop.class, s -> {
          TrafficTotals totals = dataPlane.totals();
          if (totals != null && deleted && stats != null) totals.deleted(lbId);
          else if (totals != null && stats != null) totals.stopped(stats); // moved away, or the node stops
          dataPlane.stats().remove(lbId);
          return this;
        })
        .build();
  }

  private Behavior<RuntimeCommand> onApply(RuntimeCommand.Apply apply) {
    apply(apply.desired());
    if (dataPlane.served() != null && !apply.desired().sameConfiguration(saved)) save();
    return this;
  }

  /**
   * The entity has not recovered yet (no Apply so far): serve what this load balancer served last. When the entity
   * has recovered it publishes the journal's configuration, which replaces this as any change does (usually equal:
   * then nothing moves).
   */
  private Behavior<RuntimeCommand> onPreloaded(Preloaded p) {
    if (p.desired().isEmpty()) return this;
    saved = p.desired().get();
    if (running != null) return this; // the entity was quicker: it has the truth
    getContext().getLog().debug("load balancer {}: serving its last configuration until it has recovered", lbId);
    apply(saved);
    return this;
  }

  /** Saves what runs, with this runtime's own health verdicts as the seeds (fresher than the journaled ones). */
  private void save() {
    Map<String, Boolean> seeds = new HashMap<>(running.journaledHealth());
    seeds.putAll(verdicts);
    saved = running.withJournaledHealth(seeds);
    dataPlane.served().save(lbId, saved);
  }

  private void apply(DesiredLoadBalancer d) {
    running = d;
    boolean first = stats == null;
    if (first) stats = dataPlane.stats().loadBalancer(lbId, d.orgId(), d.projectId());
    stats.desired = d;
    syncPools(d);
    syncListeners(d);
    // Its listeners' and backends' counters exist now: add what they counted before (another node, a restart).
    if (first && dataPlane.totals() != null) dataPlane.totals().restore(stats);
  }

  /** Names only label the metrics; they arrive after the first Apply. */
  private Behavior<RuntimeCommand> onNames(RuntimeCommand.Names names) {
    if (stats != null) stats.names = names;
    return this;
  }

  // ------------------------------------------------------------------ pools, backends and their monitors

  private void syncPools(DesiredLoadBalancer d) {
    boolean lbUp = d.adminStateUp();
    Map<String, List<DesiredBackend>> byPool = new HashMap<>();
    for (DesiredBackend b : d.backends()) byPool.computeIfAbsent(b.poolId(), k -> new ArrayList<>()).add(b);
    Set<String> seenPools = new HashSet<>();
    Set<String> seenBackends = new HashSet<>();
    Set<String> monitored = new HashSet<>();
    placement.clear();
    for (DesiredPool p : d.pools()) {
      seenPools.add(p.id());
      DesiredHealthCheck hc = d.healthCheckOf(p);
      List<Endpoint> endpoints = new ArrayList<>();
      Map<String, PoolRuntime.Slot> slots = new HashMap<>();
      for (DesiredBackend b : byPool.getOrDefault(p.id(), List.of())) {
        seenBackends.add(b.id());
        var counters = stats.backend(b.id(), p.id());
        if (!lbUp || !p.adminStateUp() || !b.adminStateUp()) continue;
        boolean healthy = true;
        ActorRef<HealthMonitor.Command> monitor = null;
        if (hc != null) {
          monitored.add(b.id());
          Boolean journaled = d.journaledHealth().get(b.id());
          healthy = verdicts.computeIfAbsent(b.id(), k -> journaled == null || journaled);
          monitor = monitor(b, hc, healthy);
        }
        Endpoint e = Endpoint.of(b.address(), b.protocolPort(), b.weight(), b.backup()).withHealthy(healthy);
        if (slots.containsKey(e.key())) continue; // same address:port twice in a pool is refused by the API
        endpoints.add(e);
        slots.put(e.key(), new PoolRuntime.Slot(b.id(), counters, monitor, ProxiedConnection.addressOf(e)));
        placement.put(b.id(), new String[] {p.id(), e.key()});
      }
      PoolRuntime pr = pools.get(p.id());
      if (pr == null || !pr.sameShape(p)) {
        pr = new PoolRuntime(p, endpoints);
        pools.put(p.id(), pr);
      } else {
        pr.balancer.update(endpoints);
        for (Endpoint e : endpoints) pr.balancer.setHealthy(e.key(), e.healthy());
      }
      pr.slots = Map.copyOf(slots);
    }
    pools.keySet().retainAll(seenPools);
    // Monitors of backends no longer monitored (deleted, disabled, pool without a check) stop.
    for (var it = monitors.entrySet().iterator(); it.hasNext(); ) {
      var m = it.next();
      if (monitored.contains(m.getKey())) continue;
      getContext().stop(m.getValue().ref());
      it.remove();
      verdicts.remove(m.getKey());
      BackendHealthGauge g = stats.health.get(m.getKey());
      if (g != null) g.state = BackendHealthGauge.UNKNOWN;
    }
    for (String gone : new ArrayList<>(stats.backends.keySet())) {
      if (!seenBackends.contains(gone)) stats.removeBackend(gone);
    }
  }

  private ActorRef<HealthMonitor.Command> monitor(DesiredBackend b, DesiredHealthCheck hc, boolean healthy) {
    int port = b.monitorPort() > 0 ? b.monitorPort() : b.protocolPort();
    var target = new HealthMonitor.Target(b.id(), b.address(), port);
    Monitor m = monitors.get(b.id());
    if (m == null) {
      BackendHealthGauge gauge = stats.health(b.id());
      gauge.state = healthy ? BackendHealthGauge.UP : BackendHealthGauge.DOWN;
      var ref = getContext().spawn(HealthMonitor.create(hc, target, healthy, healthAdapter, gauge),
          "health-" + b.id() + "-" + (++spawned));
      monitors.put(b.id(), new Monitor(ref, hc, target));
      return ref;
    }
    if (!m.check().equals(hc) || !m.target().equals(target)) {
      m.ref().tell(new HealthMonitor.Reconfigure(hc, target));
      monitors.put(b.id(), new Monitor(m.ref(), hc, target));
    }
    return m.ref();
  }

  private Behavior<RuntimeCommand> onHealth(Health h) {
    HealthMonitor.Transition t = h.transition();
    if (!monitors.containsKey(t.backendId())) return this; // a late report from a monitor already stopped
    verdicts.put(t.backendId(), t.up());
    String[] where = placement.get(t.backendId());
    if (where != null) {
      PoolRuntime pr = pools.get(where[0]);
      if (pr != null) pr.balancer.setHealthy(where[1], t.up());
    }
    getContext().getLog().info("load balancer {}: backend {} {} ({})", lbId, t.backendId(), t.up() ? "UP" : "DOWN",
        t.reason());
    reports.tell(new DataPlaneReport.HealthTransition(t.backendId(), t.up(), t.reason()));
    if (dataPlane.served() != null && running != null) save();
    return this;
  }

  // ------------------------------------------------------------------ listeners

  private static boolean isHttp(DesiredListener l) {
    return l.protocol() == io.fiberlb.port.Protocol.HTTP || l.protocol() == io.fiberlb.port.Protocol.TERMINATED_HTTPS;
  }

  private void syncListeners(DesiredLoadBalancer d) {
    Set<String> wanted = new HashSet<>();
    Set<String> all = new HashSet<>();
    for (DesiredListener l : d.listeners()) {
      all.add(l.id());
      if (!l.adminStateUp() || !d.adminStateUp()) continue;
      wanted.add(l.id());
      PoolRuntime pool = l.defaultPoolId().isEmpty() ? null : pools.get(l.defaultPoolId());
      ListenerConfig cfg = isHttp(l)
          ? ListenerConfig.http(l, d.vipAddress(), pools, l.tls() == null ? null : dataPlane.tlsTermination(l))
          : ListenerConfig.of(l, d.vipAddress(), pool);
      ActorRef<ListenerActor.Command> ref = listeners.get(l.id());
      if (ref == null) {
        ref = getContext().spawn(ListenerActor.create(cfg, stats.listener(l.id()), reports, dataPlane.settings(),
            dataPlane.engine(), dataPlane.gate()),
            "listener-" + l.id() + "-" + (++spawned));
        listeners.put(l.id(), ref);
      } else if (!cfg.equals(listenerConfigs.get(l.id()))) {
        ref.tell(new ListenerActor.Update(cfg));
      }
      listenerConfigs.put(l.id(), cfg);
    }
    for (var it = listeners.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (wanted.contains(e.getKey())) continue;
      getContext().stop(e.getValue()); // stops accepting; open connections drain
      it.remove();
      listenerConfigs.remove(e.getKey());
      reports.tell(new DataPlaneReport.ListenerStatus(e.getKey(), ""));
    }
    stats.listeners.keySet().retainAll(all);
  }
}
