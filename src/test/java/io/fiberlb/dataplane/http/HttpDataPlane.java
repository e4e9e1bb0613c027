package io.fiberlb.dataplane.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.dataplane.DataPlane;
import io.fiberlb.dataplane.DataPlaneSettings;
import io.fiberlb.dataplane.engine.netty.TlsTermination;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredBackend;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.DesiredPool;
import io.fiberlb.port.LbAlgorithm;
import io.fiberlb.port.Protocol;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.SessionPersistenceType;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The real data plane (netty engine) in a local actor system, driven as the control plane drives it: port records
 * ({@link DesiredLoadBalancer}) applied to a load balancer's runtime, whose reports a probe receives.
 */
final class HttpDataPlane implements AutoCloseable {
  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.loglevel = WARNING
      fiberlb.dataplane.engine = netty
      fiberlb.dataplane.event-loops = 2
      fiberlb.dataplane.stats-flush-interval = 0s
      fiberlb.dataplane.drain-timeout = 1s
      fiberlb.dataplane.bind-retry-min = 100ms
      fiberlb.dataplane.bind-retry-max = 400ms
      """).withFallback(ConfigFactory.load()).resolve();

  final ActorTestKit kit = ActorTestKit.create("http-" + UUID.randomUUID().toString().substring(0, 8), CONFIG);
  final DataPlane dataPlane = new DataPlane(kit.system(), DataPlaneSettings.from(CONFIG.getConfig("fiberlb.dataplane")));
  final TestProbe<DataPlaneReport> reports = kit.createTestProbe();
  final String lbId = "lb-" + UUID.randomUUID();
  final ActorRef<RuntimeCommand> runtime = kit.spawn(dataPlane.runtime(lbId, reports.ref()));

  /** Applies {@code d} and waits until every listener of it reports that it serves (an empty error). */
  void apply(DesiredLoadBalancer d) {
    runtime.tell(new RuntimeCommand.Apply(d));
  }

  void applyAndWaitBound(DesiredLoadBalancer d) {
    apply(d);
    var serving = new java.util.HashSet<String>();
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    String last = "";
    while (serving.size() < d.listeners().size()) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      if (left.isNegative()) throw new AssertionError("listeners not serving: " + serving + "; last error " + last);
      DataPlaneReport m = reports.receiveMessage(left);
      if (m instanceof DataPlaneReport.ListenerStatus s) {
        if (s.error().isEmpty()) serving.add(s.listenerId());
        else last = s.error();
      }
    }
  }

  void tls(TlsTermination t) {
    dataPlane.tlsTerminations(l -> t);
  }

  StatsRegistry.LoadBalancerStats stats() {
    return dataPlane.stats().find(lbId);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static DesiredLoadBalancer lb(List<DesiredListener> listeners, List<DesiredPool> pools, List<DesiredBackend> backends) {
    return new DesiredLoadBalancer("lb", "org", "project", "127.0.0.1", true, listeners, pools, backends, Map.of(),
        Map.of());
  }

  static DesiredPool pool(String id) {
    return new DesiredPool(id, Protocol.HTTP, LbAlgorithm.ROUND_ROBIN, SessionPersistenceType.NONE, 0, "", true);
  }

  static DesiredBackend backend(String id, String poolId, HttpBackend b) {
    return new DesiredBackend(id, poolId, "127.0.0.1", b.port(), 1, true, false, 0);
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
