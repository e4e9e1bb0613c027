package io.fiberlb.dataplane.listener;

import inet.ipaddr.IPAddressString;
import io.fiberlb.dataplane.DataPlaneSettings;
import io.fiberlb.dataplane.PoolRuntime;
import io.fiberlb.dataplane.balance.ConnectionKey;
import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.health.HealthMonitor;
import io.fiberlb.dataplane.proxy.ProxyStage;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * One listener: binds {@code vip:protocol_port} with Pekko Streams TCP and hands each accepted connection to a
 * {@link ProxyStage} towards a backend of the default pool.
 *
 * <p>Per connection, in this order: allowed_cidrs, connection_limit and "is any backend eligible" are checked and a
 * refused client is closed at once and counted; then the pool's balancer picks (no message to any actor), and the
 * proxy connects, retrying up to two other candidates when a connect fails.
 *
 * <p>A configuration change that keeps the socket (pool, limits, CIDRs, timeouts) applies to new connections at
 * once. A new address or port, a disabled listener or its deletion stops accepting at once and lets open
 * connections finish for {@code drain-timeout}, then closes them. A port that cannot be bound is reported to the
 * entity (the listener's operating_status becomes ERROR with the reason) and bound again with backoff.
 */
public final class ListenerActor extends AbstractBehavior<ListenerActor.Command> {

  public sealed interface Command {}

  /** The listener's configuration changed. */
  public record Update(ListenerConfig config) implements Command {}

  private record Bound(List<Tcp.ServerBinding> bindings, long generation) implements Command {}

  private record BindFailed(String reason, long generation) implements Command {}

  private record RetryBind(long generation) implements Command {}

  /** Cuts the connections still open when a drain ends. */
  static final class DrainTimeout extends RuntimeException {
    DrainTimeout(Duration after) {
      super("listener drained: connection closed " + after.toMillis() + " ms after the listener stopped", null, false,
          false);
    }
  }

  /** Connects tried per client: the balancer's pick and up to two more candidates. */
  static final int MAX_ATTEMPTS = 3;

  public static Behavior<Command> create(ListenerConfig config, TrafficCounters counters,
      ActorRef<DataPlaneReport> entity, DataPlaneSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new ListenerActor(ctx, timers, config, counters, entity, settings)));
  }

  private final TimerScheduler<Command> timers;
  private final TrafficCounters counters;
  private final ActorRef<DataPlaneReport> entity;
  private final DataPlaneSettings settings;
  private final Materializer mat;
  private final AtomicReference<ListenerConfig> current;
  private long generation;
  private SharedKillSwitch connections;
  private CompletionStage<List<Tcp.ServerBinding>> binding;
  private int bindFailures;
  private String reported = "";

  private ListenerActor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ListenerConfig config,
      TrafficCounters counters, ActorRef<DataPlaneReport> entity, DataPlaneSettings settings) {
    super(ctx);
    this.timers = timers;
    this.counters = counters;
    this.entity = entity;
    this.settings = settings;
    this.mat = Materializer.matFromSystem(ctx.getSystem());
    this.current = new AtomicReference<>(config);
    bind();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Update.class, this::onUpdate)
        .onMessage(Bound.class, this::onBound)
        .onMessage(BindFailed.class, this::onBindFailed)
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
      closeSocket();
      timers.cancelAll();
      bindFailures = 0;
      bind();
    }
    return this;
  }

  /**
   * Binds {@code settings.acceptors()} sockets to the listener's address and port (SO_REUSEPORT when more than one):
   * Pekko's stream TCP source accepts one connection per round trip between the stream, the listener actor and the
   * selector, so one socket caps new connections per second at that latency; the kernel spreads new connections
   * over several sockets, each with its own accept loop.
   */
  private void bind() {
    long gen = ++generation;
    ListenerConfig cfg = current.get();
    SharedKillSwitch ks = KillSwitches.shared("listener-" + cfg.listener().id() + "-" + gen);
    connections = ks;
    int n = Math.max(1, settings.acceptors());
    List<org.apache.pekko.io.Inet.SocketOption> options = n > 1 ? List.of(REUSE_PORT) : List.of();
    List<CompletableFuture<Tcp.ServerBinding>> each = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      each.add(Tcp.get(getContext().getSystem())
          .bind(cfg.vip(), cfg.listener().protocolPort(), settings.backlog(), options, true, Optional.empty())
          .toMat(Sink.foreach(c -> accept(c, ks)), Keep.left())
          .run(mat).toCompletableFuture());
    }
    CompletionStage<List<Tcp.ServerBinding>> all = CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
        .handle((ok, err) -> {
          if (err == null) return each.stream().map(CompletableFuture::join).toList();
          // One socket failed: give back the others, so that a retry starts clean.
          each.forEach(f -> f.thenAccept(Tcp.ServerBinding::unbind));
          throw err instanceof java.util.concurrent.CompletionException ce ? ce : new java.util.concurrent.CompletionException(err);
        });
    binding = all;
    getContext().pipeToSelf(all, (ok, err) -> ok != null ? new Bound(ok, gen) : new BindFailed(bindError(cfg, err), gen));
  }

  /** SO_REUSEPORT on the listening socket (Linux, and the JDK's StandardSocketOptions since Java 9). */
  static final org.apache.pekko.io.Inet.SocketOption REUSE_PORT = new org.apache.pekko.io.Inet.AbstractSocketOption() {
    @Override
    public void beforeServerSocketBind(java.net.ServerSocket socket) {
      try {
        socket.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
      } catch (java.io.IOException | UnsupportedOperationException e) {
        throw new IllegalStateException("SO_REUSEPORT: " + e.getMessage(), e);
      }
    }
  };

  private Behavior<Command> onBound(Bound b) {
    if (b.generation() != generation) {
      b.bindings().forEach(Tcp.ServerBinding::unbind);
      return this;
    }
    bindFailures = 0;
    getContext().getLog().info("listener {} serving {}:{}", listener().id(), current.get().vip(), listener().protocolPort());
    report("");
    return this;
  }

  private Behavior<Command> onBindFailed(BindFailed f) {
    if (f.generation() != generation) return this;
    binding = null;
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
    CompletionStage<List<Tcp.ServerBinding>> b = binding;
    SharedKillSwitch ks = connections;
    binding = null;
    if (b != null) b.thenAccept(all -> all.forEach(Tcp.ServerBinding::unbind));
    if (ks != null) {
      getContext().getSystem().scheduler().scheduleOnce(settings.drainTimeout(),
          () -> ks.abort(new DrainTimeout(settings.drainTimeout())), getContext().getSystem().executionContext());
    }
  }

  private static String bindError(ListenerConfig cfg, Throwable err) {
    String why = String.valueOf(err.getMessage());
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException be) why = be.getMessage();
    }
    String where = cfg.vip() + ":" + cfg.listener().protocolPort();
    if (why.toLowerCase(java.util.Locale.ROOT).contains("in use")) return "cannot bind " + where + ": address already in use";
    return "cannot bind " + where + ": " + why;
  }

  // ------------------------------------------------------------------ per connection (stream threads)

  private void accept(Tcp.IncomingConnection c, SharedKillSwitch ks) {
    ListenerConfig cfg = current.get();
    DesiredListener l = cfg.listener();
    InetSocketAddress remote = c.remoteAddress();
    if (!cfg.allows(remote.getAddress())) {
      reject(c);
      return;
    }
    long open = counters.active.incrementAndGet();
    if (l.connectionLimit() >= 0 && open > l.connectionLimit()) {
      counters.active.decrementAndGet();
      reject(c);
      return;
    }
    PoolRuntime pool = cfg.pool();
    Endpoint first = pool == null ? null : pool.balancer().pick(ConnectionKey.of(remote));
    if (first == null) {
      counters.active.decrementAndGet();
      reject(c);
      return;
    }
    counters.total.increment();
    var connector = new Connection(cfg, pool, first);
    Flow<ByteString, ByteString, ?> proxy = Flow.<ByteString>create().via(ks.flow())
        .via(new ProxyStage(connector, MAX_ATTEMPTS));
    if (l.timeoutClientIdleMs() > 0) {
      proxy = BidiFlow.<ByteString, ByteString>bidirectionalIdleTimeout(Duration.ofMillis(l.timeoutClientIdleMs()))
          .join(proxy);
    }
    c.handleWith(proxy, mat);
  }

  private void reject(Tcp.IncomingConnection c) {
    counters.rejected.increment();
    c.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), mat);
  }

  /** One client connection's view of the pool: candidates, counters, passive health signals. */
  private final class Connection implements ProxyStage.Connector {
    private final ListenerConfig cfg;
    private final PoolRuntime pool;
    private final Endpoint first;
    private final List<String> tried = new ArrayList<>(MAX_ATTEMPTS);
    private Endpoint slotOf;
    private PoolRuntime.Slot slot;

    Connection(ListenerConfig cfg, PoolRuntime pool, Endpoint first) {
      this.cfg = cfg;
      this.pool = pool;
      this.first = first;
    }

    @Override
    public Endpoint next(int attempt, Endpoint failed) {
      if (attempt == 0) {
        tried.add(first.key());
        return first;
      }
      // After a failed connect: the next eligible candidate in the pool's order that was not tried yet.
      List<Endpoint> candidates = pool.balancer().candidates();
      int start = 0;
      for (int i = 0; i < candidates.size(); i++) {
        if (candidates.get(i).key().equals(failed.key())) start = i + 1;
      }
      for (int i = 0; i < candidates.size(); i++) {
        Endpoint e = candidates.get((start + i) % candidates.size());
        if (!tried.contains(e.key())) {
          tried.add(e.key());
          return e;
        }
      }
      return null;
    }

    @Override
    public Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> connect(Endpoint e) {
      DesiredListener l = cfg.listener();
      Optional<Duration> idle = l.timeoutBackendIdleMs() > 0
          ? Optional.of(Duration.ofMillis(l.timeoutBackendIdleMs())) : Optional.empty();
      PoolRuntime.Slot s = slot(e);
      InetSocketAddress to = s != null ? s.address() : address(e);
      return Tcp.get(getContext().getSystem()).outgoingConnection(to, Optional.empty(), List.of(), true,
          Optional.of(Duration.ofMillis(Math.max(1, l.timeoutBackendConnectMs()))), idle);
    }

    private PoolRuntime.Slot slot(Endpoint e) {
      if (e != slotOf) {
        slotOf = e;
        slot = pool.slot(e);
      }
      return slot;
    }

    @Override
    public void connectFailed(Endpoint e, String reason) {
      PoolRuntime.Slot s = slot(e);
      if (s == null) return;
      s.counters().connectFailures.increment();
      if (s.monitor() != null) s.monitor().tell(new HealthMonitor.PassiveFailure(reason + " (passive)"));
    }

    @Override
    public void backendOpened(Endpoint e) {
      e.connectionOpened();
      PoolRuntime.Slot s = slot(e);
      if (s != null) s.counters().opened();
    }

    @Override
    public void backendClosed(Endpoint e, boolean error) {
      e.connectionClosed();
      PoolRuntime.Slot s = slot(e);
      if (s == null) return;
      s.counters().closed();
      if (error) s.counters().errors.increment();
    }

    @Override
    public void bytesIn(Endpoint e, int n) {
      counters.bytesIn.add(n);
      PoolRuntime.Slot s = slot(e);
      if (s != null) s.counters().bytesIn.add(n);
    }

    @Override
    public void bytesOut(Endpoint e, int n) {
      counters.bytesOut.add(n);
      PoolRuntime.Slot s = slot(e);
      if (s != null) s.counters().bytesOut.add(n);
    }

    @Override
    public void clientClosed(boolean error) {
      counters.closed();
      if (error) counters.errors.increment();
    }

    @Override
    public void gaveUp() {
      counters.connectFailures.increment();
    }
  }

  /** An IP literal needs no lookup; a host name is resolved by Pekko's TCP layer, off this thread. */
  public static InetSocketAddress address(Endpoint e) {
    if (new IPAddressString(e.address()).isIPAddress()) {
      try {
        return new InetSocketAddress(InetAddress.getByName(e.address()), e.port());
      } catch (UnknownHostException ex) {
        throw new IllegalStateException(ex);
      }
    }
    return InetSocketAddress.createUnresolved(e.address(), e.port());
  }
}
