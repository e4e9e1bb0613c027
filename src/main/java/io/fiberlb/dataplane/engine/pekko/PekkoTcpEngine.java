package io.fiberlb.dataplane.engine.pekko;

import io.fiberlb.dataplane.engine.Admission;
import io.fiberlb.dataplane.engine.Engine;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
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
 * The Pekko Streams TCP engine: each listener binds {@code acceptors} sockets (SO_REUSEPORT when more than one) with
 * {@code Tcp.bind}, and each admitted client is one fused {@link ProxyStage} towards its backend. Every read crosses
 * the selector, the connection actors and the stream actor; kept selectable beside the Netty engine as the
 * reference implementation.
 */
public final class PekkoTcpEngine implements Engine {
  private final ActorSystem<?> system;
  private final Materializer mat;
  private final int acceptors;
  private final int backlog;

  /**
   * @param acceptors sockets per listener: Pekko's stream TCP source accepts one connection per round trip between
   *     the stream, the listener and the selector, so one socket caps new connections per second at that latency
   */
  public PekkoTcpEngine(ActorSystem<?> system, int acceptors, int backlog) {
    this.system = system;
    this.mat = Materializer.matFromSystem(system);
    this.acceptors = Math.max(1, acceptors);
    this.backlog = backlog;
  }

  @Override
  public String name() {
    return "pekko";
  }

  @Override
  public CompletionStage<Binding> bindTcp(InetSocketAddress at, Admission admission) {
    String taken = io.fiberlb.dataplane.engine.PortCheck.tcpHeldElsewhere(at);
    if (taken != null) return CompletableFuture.failedFuture(new java.net.BindException(taken));
    if (admission.config().listener().acceptProxyProtocol()) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException(PROXY_PROTOCOL_NEEDS_NETTY));
    }
    SharedKillSwitch ks = KillSwitches.shared("listener-" + at);
    List<org.apache.pekko.io.Inet.SocketOption> options = acceptors > 1 ? List.of(REUSE_PORT) : List.of();
    List<CompletableFuture<Tcp.ServerBinding>> each = new ArrayList<>(acceptors);
    for (int i = 0; i < acceptors; i++) {
      each.add(Tcp.get(system)
          .bind(at.getHostString(), at.getPort(), backlog, options, true, Optional.empty())
          .toMat(Sink.foreach(c -> accept(c, ks, admission)), Keep.left())
          .run(mat).toCompletableFuture());
    }
    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((ok, err) -> {
      if (err == null) return new Bound(each.stream().map(CompletableFuture::join).toList(), ks);
      // One socket failed: give back the others, so that a retry starts clean.
      each.forEach(f -> f.thenAccept(Tcp.ServerBinding::unbind));
      throw err instanceof CompletionException ce ? ce : new CompletionException(err);
    });
  }

  /** Pekko's UDP layer is actor-per-socket and message-per-datagram; UDP listeners are served by netty only. */
  @Override
  public CompletionStage<Binding> bindUdp(InetSocketAddress at, Admission admission) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException(UDP_NEEDS_NETTY));
  }

  /** Why a UDP listener cannot be served by this engine: the listener's operating status reason. */
  public static final String UDP_NEEDS_NETTY = "UDP needs the netty engine (fiberlb.dataplane.engine = netty)";

  /**
   * Why a listener accepting the PROXY protocol from its clients cannot be served by this engine: the listener's
   * operating status reason. (Sending the PROXY protocol to a pool's backends works here: {@link ProxyStage}.)
   */
  public static final String PROXY_PROTOCOL_NEEDS_NETTY =
      "accept_proxy_protocol needs the netty engine (fiberlb.dataplane.engine = netty)";

  private final class Bound implements Binding {
    private final List<Tcp.ServerBinding> sockets;
    private final SharedKillSwitch connections;
    private final AtomicBoolean unbound = new AtomicBoolean();

    Bound(List<Tcp.ServerBinding> sockets, SharedKillSwitch connections) {
      this.sockets = sockets;
      this.connections = connections;
    }

    @Override
    public void unbind(Duration drain) {
      if (!unbound.compareAndSet(false, true)) return;
      sockets.forEach(Tcp.ServerBinding::unbind);
      system.scheduler().scheduleOnce(drain, () -> connections.abort(new DrainTimeout(drain)),
          system.executionContext());
    }
  }

  /** Cuts the connections still open when a drain ends. */
  static final class DrainTimeout extends RuntimeException {
    DrainTimeout(Duration after) {
      super("listener drained: connection closed " + after.toMillis() + " ms after the listener stopped", null, false,
          false);
    }
  }

  private void accept(Tcp.IncomingConnection c, SharedKillSwitch ks, Admission admission) {
    ProxiedConnection conn = admission.admit(c.remoteAddress(), c.localAddress());
    if (conn == null) {
      c.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), mat);
      return;
    }
    var l = conn.config().listener();
    Optional<Duration> backendIdle = l.timeoutBackendIdleMs() > 0
        ? Optional.of(Duration.ofMillis(l.timeoutBackendIdleMs())) : Optional.empty();
    Optional<Duration> connectTimeout = Optional.of(Duration.ofMillis(Math.max(1, l.timeoutBackendConnectMs())));
    ProxyStage.Connect connect = e -> Tcp.get(system).outgoingConnection(conn.address(e), Optional.empty(),
        List.of(), true, connectTimeout, backendIdle);
    Flow<ByteString, ByteString, ?> proxy = Flow.<ByteString>create().via(ks.flow())
        .via(new ProxyStage(conn, connect));
    if (l.timeoutClientIdleMs() > 0) {
      proxy = BidiFlow.<ByteString, ByteString>bidirectionalIdleTimeout(Duration.ofMillis(l.timeoutClientIdleMs()))
          .join(proxy);
    }
    c.handleWith(proxy, mat);
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

  @Override
  public void close() {
    // The actor system owns Pekko's TCP layer; it closes with the system.
  }
}
