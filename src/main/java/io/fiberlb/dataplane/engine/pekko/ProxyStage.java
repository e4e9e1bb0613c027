package io.fiberlb.dataplane.engine.pekko;

import io.fiberlb.dataplane.balance.Endpoint;
import io.fiberlb.dataplane.engine.ProxiedConnection;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The client side of one proxied connection: connects to a backend and pipes bytes both ways, retrying the next
 * candidate when a connect fails.
 *
 * <p>Why a stage of its own rather than {@code connection.handleWith(Tcp.outgoingConnection(...))}: that one-liner
 * cannot retry, because a failed backend flow fails the client connection with it. Here each attempt's backend
 * connection is materialized as a sub-graph in the same fused interpreter (one actor per proxied connection, as
 * with the one-liner), and an attempt that fails before a single byte went either way is replaced by the next
 * candidate. Pekko's outgoing TCP stage pulls nothing from upstream until it is connected, so no client byte is
 * consumed by an attempt that fails to connect; once bytes have flowed, a failure closes the client.
 *
 * <p>A backend of a PROXY or PROXYV2 pool gets the PROXY protocol header before any client byte, on each attempt's
 * connection ({@link io.fiberlb.dataplane.engine.ProxyHeader}).
 *
 * <p>Half-close is passed through both ways: the client's FIN becomes a FIN to the backend while the response
 * keeps flowing back, and the backend's FIN becomes a FIN to the client.
 */
public final class ProxyStage extends GraphStage<FlowShape<ByteString, ByteString>> {

  /** How to reach one backend: the TCP flow with the listener's connect and idle timeouts applied. */
  public interface Connect {
    Flow<ByteString, ByteString, CompletionStage<Tcp.OutgoingConnection>> to(Endpoint endpoint);
  }

  /** Failed because no backend could be reached. */
  public static final class NoBackendException extends RuntimeException {
    public NoBackendException(String message) {
      super(message, null, false, false);
    }
  }

  private final Inlet<ByteString> in = Inlet.create("Proxy.fromClient");
  private final Outlet<ByteString> out = Outlet.create("Proxy.toClient");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final ProxiedConnection connector;
  private final Connect connect;

  /** @param connector the admitted client's candidates and counters ({@link io.fiberlb.dataplane.engine.Admission}) */
  public ProxyStage(ProxiedConnection connector, Connect connect) {
    this.connector = connector;
    this.connect = connect;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic {
    private GraphStageLogic.SubSourceOutlet<ByteString> toBackend;
    private GraphStageLogic.SubSinkInlet<ByteString> fromBackend;
    private Endpoint endpoint;
    private int attempt;
    private boolean connected;
    private boolean traffic;
    private boolean clientFinished;
    private boolean failed;
    private AsyncCallback<Endpoint> onConnected;

    Logic() {
      super(shape);
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          ByteString bytes = grab(in);
          traffic = true;
          connector.bytesIn(bytes.size());
          toBackend.push(bytes);
        }

        @Override
        public void onUpstreamFinish() {
          clientFinished = true;
          toBackend.complete(); // FIN to the backend; its answer still flows back
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          failed = true;
          toBackend.fail(ex);
          failStage(ex);
        }
      });
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!fromBackend.isClosed() && !fromBackend.hasBeenPulled()) fromBackend.pull();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          fromBackend.cancel(cause);
          if (isClosed(in)) completeStage();
        }
      });
    }

    @Override
    public void preStart() {
      onConnected = createAsyncCallback(ep -> {
        if (ep == endpoint && !connected) {
          connected = true;
          connector.backendOpened(ep);
        }
      });
      tryNext(null);
    }

    private void tryNext(Endpoint previous) {
      Endpoint next = connector.next(previous);
      if (next == null) {
        connector.gaveUp();
        failed = true;
        failStage(new NoBackendException(previous == null ? "no backend is eligible"
            : "no backend could be reached after " + attempt + " attempts"));
        return;
      }
      attempt++;
      endpoint = next;
      connected = false;
      var sendSide = this.new SubSourceOutlet<ByteString>("Proxy.toBackend");
      var receiveSide = this.new SubSinkInlet<ByteString>("Proxy.fromBackend");
      toBackend = sendSide;
      fromBackend = receiveSide;
      final Endpoint target = next;
      sendSide.setHandler(new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!clientFinished && !hasBeenPulled(in)) pull(in);
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          // The backend's write side is gone: a connect failure (handled on the receive side) or a close.
          if (traffic && !isClosed(in)) cancel(in, cause);
        }
      });
      receiveSide.setHandler(new AbstractInHandler() {
        @Override
        public void onPush() {
          ByteString bytes = receiveSide.grab();
          traffic = true;
          if (!connected) onConnected.invoke(target);
          connector.bytesOut(bytes.size());
          push(out, bytes);
        }

        @Override
        public void onUpstreamFinish() {
          complete(out); // FIN to the client; what the client still sends goes on to the backend
          if (isClosed(in)) completeStage();
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          if (!traffic && !connected) {
            connector.connectFailed(target, ProxiedConnection.reasonOf(ex));
            tryNext(target);
            return;
          }
          failed = true;
          failStage(ex);
        }
      });
      Source<ByteString, ?> toBackendBytes = Source.fromGraph(sendSide.source());
      var header = connector.proxyHeader();
      if (header != null) { // a PROXY pool: its header first, on every attempt's new connection
        byte[] bytes = io.fiberlb.dataplane.engine.ProxyHeader.bytes(header);
        toBackendBytes = Source.single(ByteString.fromArrayUnsafe(bytes)).concat(toBackendBytes);
      }
      CompletionStage<Tcp.OutgoingConnection> conn = toBackendBytes
          .viaMat(connect.to(next), Keep.right())
          .to(Sink.fromGraph(receiveSide.sink()))
          .run(subFusingMaterializer());
      conn.thenAccept(c -> onConnected.invoke(target));
      if (clientFinished) sendSide.complete();
      if (isAvailable(out)) receiveSide.pull();
    }

    @Override
    public void postStop() {
      connector.clientClosed(failed);
    }
  }

  /** Just this stage as a flow. */
  public Flow<ByteString, ByteString, NotUsed> flow() {
    return Flow.fromGraph(this);
  }

}
