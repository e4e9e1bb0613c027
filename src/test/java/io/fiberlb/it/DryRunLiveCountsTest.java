package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.OpenConnections;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.UpdateBackendRequest;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A dry run with the data plane on: the open connections a change would cut or drain are the data plane's live
 * counts (one client connection held open through a real listener to a real backend).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DryRunLiveCountsTest {
  private TestServer server;
  private EchoBackend echo;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(DataPlaneTest.FAST);
    echo = new EchoBackend("a");
  }

  @AfterAll
  void stop() throws Exception {
    echo.close();
    server.close();
  }

  @Test
  void openConnectionsAreCountedLive() throws Exception {
    var api = server.as("dry-run-live");
    LoadBalancer lb = api.createLb("web");
    Pool pool = api.createPool(lb.getId(), "p");
    Backend backend = api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", echo.port());
    String listenerId = api.createListener(lb.getId(), DataPlaneTest.freePort(), pool.getId()).getId();
    int port = api.call(api.listeners().getListener(), GetListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(listenerId).build()).getProtocolPort();
    Socket client = Poll.until(Duration.ofSeconds(10), () -> {
      try {
        Socket s = TcpClient.connect(lb.getVipAddress(), port);
        s.getOutputStream().write("hi".getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return s;
      } catch (java.io.IOException notYetBound) {
        return null;
      }
    }, s -> s != null);
    try {
      Poll.until(Duration.ofSeconds(10), () -> StatsRpcTest.stats(api, lb.getId()),
          s -> s.getListenersCount() == 1 && s.getListeners(0).getActiveConnections() == 1
              && s.getBackendsCount() == 1 && s.getBackends(0).getActiveConnections() == 1);

      DeleteResponse cut = api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).setId(listenerId).setValidateOnly(true).build());
      assertThat(cut.getDryRun().getDisruption().getLiveCounts()).isTrue();
      assertThat(cut.getDryRun().getDisruption().getConnectionsList()).containsExactly(OpenConnections.newBuilder()
          .setResourceKind("listener").setResourceId(listenerId).setFate(OpenConnections.Fate.CUT_AFTER_DRAIN)
          .setCount(1).setReason("deleted").build());

      Backend drained = api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).setId(backend.getId()).setBackend(BackendSpec.newBuilder().setWeight(0))
          .setValidateOnly(true).build());
      assertThat(drained.getWeight()).isZero();
      assertThat(drained.getDryRun().getDisruption().getConnectionsList()).containsExactly(OpenConnections
          .newBuilder().setResourceKind("backend").setResourceId(backend.getId())
          .setFate(OpenConnections.Fate.DRAINED).setCount(1).setReason("weight 1 -> 0").build());
      // Nothing happened: the connection still goes through, the backend still has weight 1.
      assertThat(api.getLb(lb.getId()).getVersion()).isEqualTo(cut.getDryRun().getFromVersion());
    } finally {
      client.close();
    }
  }
}
