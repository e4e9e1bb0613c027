package io.fiberlb.dataplane.engine;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * What moves a listener's bytes. The listener actor owns one binding at a time and keeps lifecycle, configuration,
 * bind backoff and reporting; the engine accepts, asks {@link Admission} about each client, connects to the chosen
 * backend (retrying as {@link ProxiedConnection#next} says), pipes both ways with backpressure and half-close, and
 * applies the connect and idle timeouts. Two engines exist: {@code netty} (one event loop per core owns both
 * sockets of a connection) and {@code pekko} (Pekko Streams TCP); {@code fiberlb.dataplane.engine} picks one.
 */
public interface Engine extends AutoCloseable {

  /** {@code netty-epoll}, {@code netty-nio} or {@code pekko}: for logs and status. */
  String name();

  /**
   * Starts accepting TCP clients on {@code at}. Completes when every socket of the listener is bound, or fails
   * with the bind error (then nothing stays bound).
   */
  CompletionStage<Binding> bindTcp(InetSocketAddress at, Admission admission);

  /**
   * Starts serving UDP on {@code at}: each client address and port is one flow (admitted by {@link Admission#admitFlow})
   * with a connected socket to its backend, until it has been idle for the listener's client idle timeout. Completes
   * when every socket of the listener is bound; fails with the bind error, or with an
   * {@link UnsupportedOperationException} when this engine does not serve UDP.
   */
  CompletionStage<Binding> bindUdp(InetSocketAddress at, Admission admission);

  /**
   * Starts serving HTTP on {@code at} (an HTTP or TERMINATED_HTTPS listener: {@link
   * io.fiberlb.dataplane.listener.ListenerConfig#routes} routes each request, {@link
   * io.fiberlb.dataplane.listener.ListenerConfig#tls} terminates TLS). Fails with an
   * {@link UnsupportedOperationException} when this engine does not serve HTTP.
   */
  default CompletionStage<Binding> bindHttp(InetSocketAddress at, Admission admission) {
    return java.util.concurrent.CompletableFuture.failedFuture(new UnsupportedOperationException(
        "HTTP listeners need the netty engine (fiberlb.dataplane.engine = netty); the " + name() + " engine serves TCP only"));
  }

  /** Stops the engine's threads; bindings still open are closed. */
  @Override
  void close();

  /** One bound listener. */
  interface Binding {
    /**
     * Stops accepting at once (for UDP: no new flow; datagrams of open flows still pass); connections or flows
     * already open may finish for {@code drain}, then are closed. Safe to call more than once (later calls do
     * nothing).
     */
    void unbind(Duration drain);
  }
}
