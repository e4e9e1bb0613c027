package io.fiberlb.dataplane.listener;

import io.fiberlb.dataplane.DataPlaneSettings;
import io.fiberlb.dataplane.ServingGate;
import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.Engine;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.ServingQuorum;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One listener's lifecycle: binds {@code vip:protocol_port} through the node's {@link Engine} (TCP, UDP or HTTP, as
 * the listener's protocol says), which accepts and proxies each connection or UDP flow as {@link Admission} decides
 * (allowed_cidrs, connection_limit, the default pool's pick, retries). This actor keeps the configuration, the bind backoff and what is reported to the entity; no byte and no
 * connection passes through it.
 *
 * <p>A configuration change that keeps the socket (pool, limits, CIDRs, timeouts) applies to new connections at
 * once. A new address or port, a disabled listener or its deletion stops accepting at once and lets open
 * connections finish for {@code drain-timeout}, then closes them. A port that cannot be bound is reported to the
 * entity (the listener's operating_status becomes ERROR with the reason) and bound again with backoff.
 *
 * <p>While the node is not serving ({@link ServingGate}: not an Up member of a majority of the cluster) the listener
 * holds no socket and reports why; it binds again once the node is back in a majority.
 */
public final class ListenerActor extends AbstractBehavior<ListenerActor.Command> {

  public sealed interface Command {}

  /** The listener's configuration changed. */
  public record Update(ListenerConfig config) implements Command {}

  private record Bound(Engine.Binding binding, long generation) implements Command {}

  /** {@code permanent}: the engine cannot serve this listener at all (UDP on the pekko engine); no retry helps. */
  private record BindFailed(String reason, boolean permanent, long generation) implements Command {}

  private record RetryBind(long generation) implements Command {}

  private record Quorum(ServingQuorum quorum) implements Command {}

  public static Behavior<Command> create(ListenerConfig config, TrafficCounters counters,
      ActorRef<DataPlaneReport> entity, DataPlaneSettings settings, Engine engine, ServingGate gate) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ListenerActor(ctx, timers, config, counters, entity, settings, engine, gate)));
  }

  private final TimerScheduler<Command> timers;
  private final TrafficCounters counters;
  private final ActorRef<DataPlaneReport> entity;
  private final DataPlaneSettings settings;
  private final Engine engine;
  private final ServingGate gate;
  private final AtomicReference<ListenerConfig> current;
  private final Admission admission;
  private long generation;
  /** The socket being bound or bound; null while waiting to bind again. */
  private CompletionStage<Engine.Binding> binding;
  private int bindFailures;
  /** What was last reported; null until the first outcome, which is always reported (the entity waits for it). */
  private String reported;

  private ListenerActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ListenerConfig config,
      TrafficCounters counters, ActorRef<DataPlaneReport> entity, DataPlaneSettings settings,
      Engine engine, ServingGate gate) {
    super(ctx);
    this.timers = timers;
    this.counters = counters;
    this.entity = entity;
    this.settings = settings;
    this.engine = engine;
    this.gate = gate;
    this.current = new AtomicReference<>(config);
    this.admission = new Admission(current, counters);
    gate.subscribe(ctx.messageAdapter(ServingQuorum.class, Quorum::new));
    bind();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Update.class, this::onUpdate)
        .onMessage(Bound.class, this::onBound)
        .onMessage(BindFailed.class, this::onBindFailed)
        .onMessage(Quorum.class, this::onQuorum)
        .onMessage(RetryBind.class, r -> {
          if (r.generation() == generation && binding == null) bind();
          return this;
        })
        .onSignal(PostStop.class, s -> {
          closeSocket();
          return this;
        })
        .build();
  }

  private DesiredListener listener() {
    return current.get().listener();
  }

  private Behavior<Command> onUpdate(Update u) {
    ListenerConfig before = current.getAndSet(u.config());
    if (!u.config().sameSocket(before)) {
      reported = null; // the entity waits for this bind's outcome too
      closeSocket();
      timers.cancelAll();
      bindFailures = 0;
      bind();
    }
    return this;
  }

  private Behavior<Command> onQuorum(Quorum q) {
    if (!q.quorum().serving()) {
      if (binding != null) {
        getContext().getLog().warn("listener {}: stops serving {}:{}: {}", listener().id(), current.get().vip(),
            listener().protocolPort(), q.quorum().reason());
      }
      closeSocket();
      timers.cancelAll();
      generation++; // a bind still in flight is undone when it completes
      report(q.quorum().reason());
    } else if (binding == null) {
      bindFailures = 0;
      timers.cancelAll();
      bind();
    }
    return this;
  }

  private void bind() {
    long gen = ++generation;
    ServingQuorum quorum = gate.current();
    if (!quorum.serving()) {
      report(quorum.reason()); // bound once the gate opens (onQuorum)
      return;
    }
    ListenerConfig cfg = current.get();
    var at = new InetSocketAddress(cfg.vip(), cfg.listener().protocolPort());
    CompletionStage<Engine.Binding> b = cfg.listener().protocol() == io.fiberlb.port.Protocol.UDP
        ? engine.bindUdp(at, admission)
        : cfg.http() ? engine.bindHttp(at, admission) : engine.bindTcp(at, admission);
    binding = b;
    getContext().pipeToSelf(b, (ok, err) -> ok != null ? new Bound(ok, gen)
        : new BindFailed(bindError(cfg, err), unsupported(err), gen));
  }

  private Behavior<Command> onBound(Bound b) {
    if (b.generation() != generation) {
      b.binding().unbind(settings.drainTimeout());
      return this;
    }
    bindFailures = 0;
    getContext().getLog().info("listener {} serving {}:{} ({})", listener().id(), current.get().vip(),
        listener().protocolPort(), engine.name());
    report("");
    return this;
  }

  private Behavior<Command> onBindFailed(BindFailed f) {
    if (f.generation() != generation) return this;
    binding = null;
    if (f.permanent()) {
      getContext().getLog().warn("listener {}: {}", listener().id(), f.reason());
      report(f.reason());
      return this;
    }
    long min = settings.bindRetryMin().toMillis();
    long delay = Math.min(settings.bindRetryMax().toMillis(), min << Math.min(bindFailures, 16));
    bindFailures++;
    if (bindFailures == 1 || bindFailures % 10 == 0) {
      getContext().getLog().warn("listener {}: {}; binding again in {} ms", listener().id(), f.reason(), delay);
    }
    report(f.reason());
    timers.startSingleTimer("bind", new RetryBind(generation), Duration.ofMillis(delay));
    return this;
  }

  private void report(String error) {
    if (error.equals(reported)) return;
    reported = error;
    entity.tell(new DataPlaneReport.ListenerStatus(listener().id(), error));
  }

  /** Stops accepting now; connections open on the old socket finish within the drain timeout, then are closed. */
  private void closeSocket() {
    CompletionStage<Engine.Binding> b = binding;
    binding = null;
    if (b != null) b.thenAccept(bound -> bound.unbind(settings.drainTimeout()));
  }

  private static Throwable unwrap(Throwable err) {
    Throwable t = err;
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
    return t;
  }

  private static boolean unsupported(Throwable err) {
    return err != null && unwrap(err) instanceof UnsupportedOperationException;
  }

  private static String bindError(ListenerConfig cfg, Throwable err) {
    if (unsupported(err)) return String.valueOf(unwrap(err).getMessage());
    String why = String.valueOf(err.getMessage());
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException be) why = be.getMessage();
    }
    String where = cfg.vip() + ":" + cfg.listener().protocolPort();
    if (why.toLowerCase(java.util.Locale.ROOT).contains("in use")) return "cannot bind " + where + ": address already in use";
    return "cannot bind " + where + ": " + why;
  }
}
