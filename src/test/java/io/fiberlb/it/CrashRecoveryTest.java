package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.Provisioning;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node killed with SIGKILL in the middle of load balancer creates. After a restart on the same H2 file: every
 * create the API acknowledged is there, every create still in flight has finished (or never began), and no VIP or
 * name is held by a load balancer that does not exist: the whole range can still be handed out, exactly.
 */
class CrashRecoveryTest {
  private static final String RANGE = "127.0.30.0/28"; // 14 usable addresses

  @Test
  void sigkillDuringCreatesLeaksNothingAndLosesNothingAcknowledged() throws Exception {
    Path dir = Files.createTempDirectory("fiberlb-crash");
    Process first = start(dir);
    var acked = new ArrayList<LoadBalancer>();
    try (var client = new TestServer.Client(port(dir))) {
      var api = client.as("crash");
      // The first call also opens the connection: on a loaded machine it may need a second try.
      assertThat(Poll.until(Duration.ofSeconds(30), () -> answers(api), ok -> ok)).isTrue();
      var inFlight = new ArrayList<CompletableFuture<LoadBalancer>>();
      for (int i = 0; i < 10; i++) {
        inFlight.add(api.callAsync(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("lb-" + i)).build()).toCompletableFuture());
      }
      // Kill as soon as a few are acknowledged, with the rest still on their way.
      for (var f : inFlight.subList(0, 3)) {
        f.handle((lb, err) -> lb != null && acked.add(lb)).get(30, TimeUnit.SECONDS);
      }
      first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      for (var f : inFlight.subList(3, inFlight.size())) {
        f.handle((lb, err) -> lb != null && acked.add(lb)).get(30, TimeUnit.SECONDS);
      }
      assertThat(acked).as("creates acknowledged before the kill").isNotEmpty();
    } finally {
      first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(dir.resolve("grpc.port"));

    Process second = start(dir);
    try (var client = new TestServer.Client(port(dir))) {
      var api = client.as("crash");
      assertThat(Poll.until(Duration.ofSeconds(30), () -> answers(api), ok -> ok)).isTrue();
      // Creates that were mid-way finish by themselves (remember-entities); wait until none is pending.
      List<LoadBalancer> after = Poll.until(Duration.ofSeconds(30), () -> list(api),
          l -> l.stream().allMatch(lb -> lb.getProvisioningStatus() == Provisioning.Status.ACTIVE));
      Set<String> ids = new HashSet<>();
      after.forEach(lb -> ids.add(lb.getId()));
      for (LoadBalancer lb : acked) assertThat(ids).contains(lb.getId());
      assertThat(after).allMatch(lb -> lb.getProvisioningStatus() == Provisioning.Status.ACTIVE);
      Set<String> vips = new HashSet<>();
      after.forEach(lb -> vips.add(lb.getVipAddress()));
      assertThat(vips).hasSize(after.size());

      // Every one of the 14 addresses is either held by a listed load balancer or can still be allocated.
      int created = 0;
      while (true) {
        try {
          LoadBalancer lb = api.createLb("more-" + created);
          assertThat(vips.add(lb.getVipAddress())).isTrue();
          created++;
        } catch (RuntimeException e) {
          assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          break;
        }
      }
      assertThat(after.size() + created).isEqualTo(14);
    } finally {
      second.destroy();
      if (!second.waitFor(30, TimeUnit.SECONDS)) second.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean answers(TestServer.Api api) {
    try {
      list(api);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static List<LoadBalancer> list(TestServer.Api api) {
    return api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder().setPageSize(100).build())
        .getLoadBalancersList();
  }

  private static int starts;

  private static Process start(Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ServerProcess.class.getName(), dir.toString(), RANGE)
        .redirectErrorStream(true).redirectOutput(dir.resolve("server-" + (++starts) + ".log").toFile()).start();
  }

  /** The port the node wrote once its API was bound. */
  private static int port(Path dir) throws Exception {
    Path file = dir.resolve("grpc.port");
    String text = Poll.until(Duration.ofSeconds(60), () -> {
      try {
        return Files.exists(file) ? Files.readString(file).trim() : "";
      } catch (java.io.IOException e) {
        return "";
      }
    }, s -> !s.isEmpty());
    assertThat(text).as("server did not start; see the server-N.log files in " + dir).isNotEmpty();
    return Integer.parseInt(text);
  }
}
