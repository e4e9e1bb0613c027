package io.fiberlb.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The Prometheus registry of one node, the control-plane metrics in it, and the JVM and process metrics of the
 * client library's instrumentation ({@code jvm_*}, {@code process_*}). A Pekko extension rather than a
 * static: tests run several nodes in one JVM and each must count only its own calls, and the journal plugin,
 * which Pekko starts before {@code FiberLb.init} runs, finds the same instance through its actor system.
 */
public final class NodeMetrics implements Extension {
  private final PrometheusRegistry registry = new PrometheusRegistry();

  private final Counter rpcStarted = Counter.builder()
      .name("fiberlb_grpc_server_started")
      .help("gRPC calls received, by service and method (unknown paths as grpc_method=\"unknown\").")
      .labelNames("grpc_service", "grpc_method")
      .register(registry);

  private final Counter rpcHandled = Counter.builder()
      .name("fiberlb_grpc_server_handled")
      .help("gRPC calls completed, by service, method and the status code the client received"
          + " (CANCELLED: the client went away before the end of a stream).")
      .labelNames("grpc_service", "grpc_method", "grpc_code")
      .register(registry);

  private final Histogram rpcSeconds = Histogram.builder()
      .name("fiberlb_grpc_server_handling_seconds")
      .help("Time from a gRPC request's arrival to its status (for a stream: to its end).")
      .classicOnly()
      .labelNames("grpc_service", "grpc_method")
      .register(registry);

  private final Counter eventsPersisted = Counter.builder()
      .name("fiberlb_events_persisted")
      .help("Events written to the journal, by entity type (LoadBalancer, Project, VipPool) and event type.")
      .labelNames("entity", "event")
      .register(registry);

  private NodeMetrics() {
    // The JVM's and the process's own: memory pools, GC, threads, class loading, CPU, open files, resident memory.
    JvmMetrics.builder().register(registry);
  }

  public static NodeMetrics get(ClassicActorSystemProvider system) {
    return Id.ID.get(system.classicSystem());
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  void rpcStarted(String service, String method) {
    rpcStarted.labelValues(service, method).inc();
  }

  void rpcHandled(String service, String method, String code, long startNanos) {
    rpcHandled.labelValues(service, method, code).inc();
    rpcSeconds.labelValues(service, method).observe((System.nanoTime() - startNanos) / 1e9);
  }

  void eventPersisted(String entity, String event) {
    eventsPersisted.labelValues(entity, event).inc();
  }

  /** One {@link NodeMetrics} per actor system. */
  public static final class Id extends AbstractExtensionId<NodeMetrics> implements ExtensionIdProvider {
    public static final Id ID = new Id();

    private Id() {}

    @Override
    public Id lookup() {
      return ID;
    }

    @Override
    public NodeMetrics createExtension(ExtendedActorSystem system) {
      return new NodeMetrics();
    }
  }
}
