package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.StreamEventsRequest;
import io.fiberlb.dataplane.stats.StatsRegistry;
import io.fiberlb.dataplane.stats.TrafficCounters;
import io.fiberlb.metrics.MetricsSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code /metrics} scraped over real HTTP from a real node: traffic through a real listener to a real backend,
 * counters added to the node's stats registry for what is hard to provoke (and for health, until the health
 * checkers land), and the control-plane counters after real gRPC calls.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsTest {
  private TestServer server;
  private EchoBackend echo;
  private final AtomicInteger projects = new AtomicInteger();

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

  private TestServer.Api freshProject() {
    return server.as("metrics" + projects.incrementAndGet());
  }

  private Scrape scrape() {
    return Scrape.of(server.node().metricsPort());
  }

  private static Map<String, String> labels(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void servesTheTextFormatOnTheConfiguredHostAndWritesItsPort() throws Exception {
    // A metric appears from its first sample on: make one.
    freshProject().createLb("web");
    Scrape s = Poll.until(Duration.ofSeconds(10), this::scrape,
        x -> !x.find("fiberlb_grpc_server_handled_total", Map.of()).isEmpty());
    assertThat(s.contentType).startsWith("text/plain");
    assertThat(s.text).contains("# TYPE fiberlb_grpc_server_handled_total counter",
        "# HELP fiberlb_grpc_server_handled_total gRPC calls completed");
    assertThat(Files.readString(server.dataDir.resolve("metrics.port")).trim())
        .isEqualTo(String.valueOf(server.node().metricsPort()));
  }

  @Test
  void trafficOfARealLoadBalancerWithItsLabels() throws Exception {
    var api = freshProject();
    LoadBalancer lb = api.createLb("web");
    Pool pool = api.createPool(lb.getId(), "p");
    Backend backend = api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", echo.port());
    int port = DataPlaneTest.freePort();
    String listenerId = api.createListener(lb.getId(), port, pool.getId()).getId();

    byte[] answer = Poll.until(Duration.ofSeconds(10), () -> {
      try {
        return TcpClient.exchange(lb.getVipAddress(), port, "hello".getBytes(StandardCharsets.UTF_8));
      } catch (java.io.IOException notYetServing) {
        return new byte[0];
      }
    }, a -> a.length > 0);
    assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("hello#a");

    var listener = labels("org", "default", "project", api.project, "load_balancer", lb.getId(),
        "listener", listenerId);
    var member = labels("org", "default", "project", api.project, "load_balancer", lb.getId(),
        "pool", pool.getId(), "backend", backend.getId());
    Scrape s = Poll.until(Duration.ofSeconds(10), this::scrape,
        x -> Double.valueOf(7).equals(x.value("fiberlb_listener_bytes_out_total", listener))
            && Double.valueOf(7).equals(x.value("fiberlb_backend_bytes_out_total", member))
            && Double.valueOf(0).equals(x.value("fiberlb_listener_active_connections", listener))
            && Double.valueOf(0).equals(x.value("fiberlb_backend_active_connections", member)));
    for (var series : java.util.List.of(listener, member)) {
      String kind = series.containsKey("listener") ? "listener" : "backend";
      assertThat(s.value("fiberlb_" + kind + "_connections_total", series)).as(kind).isEqualTo(1);
      assertThat(s.value("fiberlb_" + kind + "_bytes_in_total", series)).as(kind).isEqualTo(5);
      assertThat(s.value("fiberlb_" + kind + "_bytes_out_total", series)).as(kind).isEqualTo(7);
      assertThat(s.value("fiberlb_" + kind + "_active_connections", series)).as(kind).isEqualTo(0);
      for (String zero : new String[] {"rejected_connections", "connect_failures", "request_errors"}) {
        assertThat(s.value("fiberlb_" + kind + "_" + zero + "_total", series)).as(kind + " " + zero).isEqualTo(0);
      }
    }
    assertThat(s.find("fiberlb_listener_bytes_in_total", Map.of("load_balancer", lb.getId()))).singleElement()
        .satisfies(m -> assertThat(m.labels()).isEqualTo(listener));

    // Deleted: its series are gone from the next scrapes, not frozen at their last values.
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb.getId())
        .setCascade(true).build());
    Scrape after = Poll.until(Duration.ofSeconds(10), this::scrape,
        x -> x.samples.stream().noneMatch(m -> lb.getId().equals(m.labels().get("load_balancer"))));
    assertThat(after.samples).noneMatch(m -> lb.getId().equals(m.labels().get("load_balancer")));
  }

  @Test
  void countersThatAreHardToProvokeAreExportedFromTheRegistry() throws Exception {
    var api = freshProject();
    String lbId = api.createLb("web").getId();
    Pool pool = api.createPool(lbId, "p");
    String backendId = api.createBackend(lbId, pool.getId(), "127.0.0.1", 9).getId();
    String listenerId = api.createListener(lbId, DataPlaneTest.freePort(), null).getId();
    StatsRegistry.LoadBalancerStats lb = Poll.until(Duration.ofSeconds(10),
        () -> server.node().dataPlane().stats().find(lbId),
        x -> x != null && x.listeners.containsKey(listenerId) && x.backends.containsKey(backendId));
    TrafficCounters l = lb.listeners.get(listenerId);
    l.rejected.add(3);
    l.connectFailures.add(4);
    l.errors.add(5);
    TrafficCounters b = lb.backends.get(backendId);
    b.connectFailures.add(6);
    b.opened();

    var listener = labels("org", "default", "project", api.project, "load_balancer", lbId, "listener", listenerId);
    var member = labels("org", "default", "project", api.project, "load_balancer", lbId, "pool", pool.getId(),
        "backend", backendId);
    Scrape s = scrape();
    assertThat(s.value("fiberlb_listener_rejected_connections_total", listener)).isEqualTo(3);
    assertThat(s.value("fiberlb_listener_connect_failures_total", listener)).isEqualTo(4);
    assertThat(s.value("fiberlb_listener_request_errors_total", listener)).isEqualTo(5);
    assertThat(s.value("fiberlb_backend_connect_failures_total", member)).isEqualTo(6);
    assertThat(s.value("fiberlb_backend_active_connections", member)).isEqualTo(1);
    // The pool has no health check: no health series until a checker keeps a gauge for the backend.
    assertThat(s.value("fiberlb_backend_health_state", member)).isNull();
    var health = lb.health(backendId);
    assertThat(scrape().value("fiberlb_backend_health_state", member)).isEqualTo(-1);
    health.state = io.fiberlb.dataplane.stats.BackendHealthGauge.UP;
    health.probed(true, 2_000_000);
    health.probed(false, 3_000_000);
    Scrape probed = scrape();
    assertThat(probed.value("fiberlb_backend_health_state", member)).isEqualTo(1);
    assertThat(probed.value("fiberlb_backend_probe_duration_seconds_count", member)).isEqualTo(2);
    assertThat(probed.value("fiberlb_backend_probe_duration_seconds_sum", member)).isCloseTo(0.005,
        org.assertj.core.data.Offset.offset(1e-9));
    assertThat(probed.value("fiberlb_backend_probe_failures_total", member)).isEqualTo(1);
    health.state = io.fiberlb.dataplane.stats.BackendHealthGauge.DOWN;
    assertThat(scrape().value("fiberlb_backend_health_state", member)).isEqualTo(0);
  }

  @Test
  void grpcCallsAreCountedByMethodAndStatusAndEventsByType() throws Exception {
    var api = freshProject();
    String lbService = "fiberlb.v1.LoadBalancerService";
    var createdOk = labels("grpc_service", lbService, "grpc_method", "CreateLoadBalancer", "grpc_code", "OK");
    var getNotFound = labels("grpc_service", lbService, "grpc_method", "GetLoadBalancer", "grpc_code", "NOT_FOUND");
    var getInvalid = labels("grpc_service", lbService, "grpc_method", "GetLoadBalancer",
        "grpc_code", "INVALID_ARGUMENT");
    var streamOk = labels("grpc_service", "fiberlb.v1.AuditService", "grpc_method", "StreamEvents", "grpc_code", "OK");
    var lbCreated = labels("entity", "LoadBalancer", "event", "Created");
    var childCreated = labels("entity", "LoadBalancer", "event", "ChildCreated");
    Scrape before = scrape();

    String lbId = api.createLb("counted").getId();
    api.createListener(lbId, DataPlaneTest.freePort(), null);
    assertThatThrownBy(() -> api.getLb(UUID.randomUUID().toString()));
    assertThatThrownBy(() -> api.getLb("not-a-uuid"));
    assertThatThrownBy(() -> api.getLb(UUID.randomUUID().toString()));
    var events = api.stream(api.audit().streamEvents(), StreamEventsRequest.newBuilder().setLoadBalancerId(lbId)
        .build()).runWith(Sink.seq(), api.system()).toCompletableFuture().get();
    assertThat(events).hasSize(3);

    // The counting of a write and of a call's end may run a moment after the client has its answer.
    Scrape after = Poll.until(Duration.ofSeconds(10), this::scrape,
        s -> delta(before, s, "fiberlb_grpc_server_handled_total", streamOk) >= 1
            && delta(before, s, "fiberlb_events_persisted_total", childCreated) >= 1);
    assertThat(delta(before, after, "fiberlb_grpc_server_handled_total", createdOk)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_grpc_server_handled_total", getNotFound)).isEqualTo(2);
    assertThat(delta(before, after, "fiberlb_grpc_server_handled_total", getInvalid)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_grpc_server_handled_total", streamOk)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_grpc_server_started_total",
        labels("grpc_service", lbService, "grpc_method", "GetLoadBalancer"))).isEqualTo(3);
    assertThat(delta(before, after, "fiberlb_grpc_server_handling_seconds_count",
        labels("grpc_service", lbService, "grpc_method", "GetLoadBalancer"))).isEqualTo(3);
    assertThat(delta(before, after, "fiberlb_events_persisted_total", lbCreated)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_events_persisted_total", childCreated)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_events_persisted_total",
        labels("entity", "LoadBalancer", "event", "CreationStarted"))).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_events_persisted_total", labels("entity", "Project"))).isPositive();
    assertThat(delta(before, after, "fiberlb_events_persisted_total", labels("entity", "VipPool"))).isEqualTo(1);
    // Sharding's own records go through the same journal and are not events of ours.
    assertThat(after.find("fiberlb_events_persisted_total", Map.of()))
        .allSatisfy(m -> assertThat(m.labels().get("entity")).isIn("LoadBalancer", "Project", "VipPool"));
  }

  @Test
  void unknownPathsAreCountedWithoutTheirNames() throws Exception {
    Scrape before = scrape();
    // A path the server does not serve: its names must not become label values (one series per junk path).
    var http = java.net.http.HttpClient.newHttpClient();
    var res = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + server.port() + "/fiberlb.v1.NoSuchService/Nothing"))
        .header("content-type", "application/grpc").POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        java.net.http.HttpResponse.BodyHandlers.discarding());
    assertThat(res.statusCode()).isNotEqualTo(500);
    var unknown = labels("grpc_service", "unknown", "grpc_method", "unknown");
    Scrape after = Poll.until(Duration.ofSeconds(10), this::scrape,
        s -> delta(before, s, "fiberlb_grpc_server_handled_total", unknown) >= 1);
    assertThat(delta(before, after, "fiberlb_grpc_server_started_total", unknown)).isEqualTo(1);
    assertThat(delta(before, after, "fiberlb_grpc_server_handled_total", unknown)).isEqualTo(1);
    assertThat(after.text).doesNotContain("NoSuchService");
  }

  @Test
  void settingsRefuseANegativePortAndNameTheWayToTurnItOff() {
    assertThatThrownBy(() -> MetricsSettings.from(ConfigFactory.parseString(
        "enabled = true, host = \"127.0.0.1\", port = -1")))
        .hasMessageContaining("fiberlb.metrics.port").hasMessageContaining("FIBERLB_METRICS_ENABLED=false");
    assertThat(MetricsSettings.from(ConfigFactory.parseString("enabled = false, host = \"::1\", port = 0")))
        .isEqualTo(new MetricsSettings(false, "::1", 0));
  }

  private static double delta(Scrape before, Scrape after, String name, Map<String, String> labels) {
    return after.sum(name, labels) - before.sum(name, labels);
  }
}
