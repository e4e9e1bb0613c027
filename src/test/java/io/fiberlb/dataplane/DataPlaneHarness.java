package io.fiberlb.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.RuntimeCommand;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The real data plane of one node, driven the way the control plane drives it: a {@link DataPlane} on an actor
 * system of its own, one load balancer runtime per {@link #serve} told {@link RuntimeCommand.Apply} with port
 * records, and its reports read back (a listener is serving once it reported no error).
 */
public final class DataPlaneHarness implements AutoCloseable {
  private static final AtomicInteger lbs = new AtomicInteger();
  final ActorTestKit kit;
  final DataPlane dataPlane;

  /** @param engine {@code netty} or {@code pekko} */
  public DataPlaneHarness(String engine) {
    Config config = ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.log-dead-letters = off
        fiberlb.dataplane.engine = %s
        fiberlb.dataplane.event-loops = 1
        fiberlb.dataplane.acceptors = 1
        fiberlb.dataplane.drain-timeout = 1s
        fiberlb.dataplane.stats-flush-interval = 0
        """.formatted(engine)).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create(config);
    dataPlane = new DataPlane(kit.system(), DataPlaneSettings.from(config.getConfig("fiberlb.dataplane")));
  }

  /** One running load balancer: its runtime and the reports it sent. */
  public record Served(String lbId, ActorRef<RuntimeCommand> runtime, TestProbe<DataPlaneReport> reports) {}

  /** Starts a load balancer on the loopback VIP with these parts and waits until every listener is serving. */
  public Served serve(String vip, List<DesiredListener> listeners, List<DesiredPool> pools,
      List<DesiredBackend> backends, Map<String, DesiredHealthCheck> checks) {
    String id = "lb" + lbs.incrementAndGet();
    TestProbe<DataPlaneReport> reports = kit.createTestProbe();
    ActorRef<RuntimeCommand> runtime = kit.spawn(dataPlane.runtime(id, reports.ref()), id);
    runtime.tell(new RuntimeCommand.Apply(new DesiredLoadBalancer(id, "org", "project", vip, true, listeners, pools,
        backends, checks, Map.of())));
    for (int i = 0; i < listeners.size(); i++) {
      DataPlaneReport r = reports.expectMessageClass(DataPlaneReport.ListenerStatus.class, Duration.ofSeconds(10));
      assertThat(((DataPlaneReport.ListenerStatus) r).error()).as("listener status").isEmpty();
    }
    return new Served(id, runtime, reports);
  }

  /** What a listener counted, by id. */
  public io.fiberlb.dataplane.stats.TrafficCounters listenerCounters(Served s, String listenerId) {
    return dataPlane.stats().find(s.lbId()).listeners.get(listenerId);
  }

  /** A monitored backend's health gauge (probes run, failed). */
  public io.fiberlb.dataplane.stats.BackendHealthGauge health(Served s, String backendId) {
    return dataPlane.stats().find(s.lbId()).health(backendId);
  }

  public void stop(Served s) {
    kit.stop(s.runtime());
  }

  /** A port free on loopback now (the listener binds it a moment later). */
  public static int freePort(InetAddress on) throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, on)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
