package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.RestoreLoadBalancerRequest;
import io.fiberlb.api.v1.RollbackLoadBalancerRequest;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data plane follows a rollback and a restore as it follows any change: a listener that a rollback brings back
 * serves again, and a load balancer restored after a cascade delete serves its VIP and port again, and keeps
 * serving (the entity, woken to be restored, is not left stopped), also while the deleted one still drains.
 */
class RollbackDataPlaneTest {
  private TestServer server;
  private TestServer.Api api;
  private EchoBackend a;
  private EchoBackend b;

  @BeforeEach
  void start() throws IOException {
    var settings = new HashMap<String, Object>(DataPlaneTest.FAST);
    settings.put("fiberlb.dataplane.engine", "netty");
    settings.put("fiberlb.dataplane.drain-timeout", "30s"); // the held connection below drains through the restore
    server = new TestServer(Files.createTempDirectory("fiberlb-rollback-dp"), settings);
    api = server.as("rollback-dp");
    a = new EchoBackend("a");
    b = new EchoBackend("b");
  }

  @AfterEach
  void stop() throws IOException {
    a.close();
    b.close();
    server.close();
  }

  private static boolean serves(String vip, int port) {
    try (Socket s = TcpClient.connect(vip, port)) {
      return Set.of("a", "b").contains(TcpClient.whoServes(vip, port));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aRolledBackListenerAndARestoredLoadBalancerServeAgain() throws IOException {
    String lb = api.createLb("served").getId();
    String pool = api.createPool(lb, "p").getId();
    api.createBackend(lb, pool, "127.0.0.1", a.port());
    api.createBackend(lb, pool, "127.0.0.1", b.port());
    int port = DataPlaneTest.freePort();
    String listener = api.createListener(lb, port, pool).getId();
    String vip = api.getLb(lb).getVipAddress();
    long serving = api.getLb(lb).getVersion();
    Poll.until("serving", Duration.ofSeconds(10), () -> serves(vip, port), ok -> ok);

    api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb)
        .setId(listener).build());
    Poll.until("the listener gone", Duration.ofSeconds(10), () -> serves(vip, port), ok -> !ok);
    api.call(api.history().rollbackLoadBalancer(), RollbackLoadBalancerRequest.newBuilder().setLoadBalancerId(lb)
        .setToVersion(serving).build());
    Poll.until("serving after the rollback", Duration.ofSeconds(10), () -> serves(vip, port), ok -> ok);

    // A connection open across the delete and the restore: its drain does not stand in the restore's way.
    try (Socket held = TcpClient.connect(vip, port)) {
      held.getOutputStream().write('x');
      api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb).setCascade(true)
          .build());
      Poll.until("the load balancer gone", Duration.ofSeconds(10), () -> serves(vip, port), ok -> !ok);
      api.call(api.history().restoreLoadBalancer(), RestoreLoadBalancerRequest.newBuilder().setId(lb).build());
    }
    Poll.until("serving after the restore", Duration.ofSeconds(10), () -> serves(vip, port), ok -> ok);
    Poll.during(Duration.ofSeconds(3), Duration.ofMillis(100),
        () -> assertThat(serves(vip, port)).as("still serving after the restore").isTrue());
    assertThat(api.getLb(lb).getVipAddress()).isEqualTo(vip);
  }
}
