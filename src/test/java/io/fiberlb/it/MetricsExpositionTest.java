package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fiberlb.api.v1.CreateHealthCheckRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.UpdateListenerRequest;
import io.fiberlb.api.v1.UpdateLoadBalancerRequest;
import io.fiberlb.api.v1.LoadBalancerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A real node's {@code /metrics} with every kind of series in it (traffic through a real listener, a health-checked
 * backend, gRPC calls, journal writes): valid by {@link ExpositionCheck}'s strict reading, with the JVM and process
 * metrics, the info series that carry names, and every metric the Grafana dashboard in deploy/grafana queries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsExpositionTest {
  static final Path DASHBOARD = Path.of("deploy/grafana/fiberlb.json");
  private TestServer server;
  private EchoBackend echo;
  private TestServer.Api api;
  private LoadBalancer lb;
  private String listenerId;
  private int port;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(DataPlaneTest.FAST);
    echo = new EchoBackend("a");
    api = server.as("exposition");
    lb = api.createLb("web");
    HealthCheck hc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TCP)
            .setInterval(com.google.protobuf.Duration.newBuilder().setNanos(300_000_000))
            .setTimeout(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000))).build());
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setName("p").setProtocol(Protocol.TCP).setHealthCheckId(hc.getId())).build())
        .getId();
    api.createBackend(lb.getId(), pool, "127.0.0.1", echo.port());
    port = DataPlaneTest.freePort();
    listenerId = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setName("http").setProtocol(Protocol.TCP)
            .setProtocolPort(port).setDefaultPoolId(pool)).build()).getId();
    assertThat(TcpClient.exchangeOnceServing(lb.getVipAddress(), port, "hello", Duration.ofSeconds(15)))
        .isEqualTo("hello#a");
  }

  @AfterAll
  void stop() throws Exception {
    echo.close();
    server.close();
  }

  private Scrape scrape() {
    return Scrape.of(server.node().metricsPort());
  }

  /** A scrape once the traffic and a health probe are counted, so that every family has series. */
  private Scrape full() {
    return Poll.until("traffic and probes counted", Duration.ofSeconds(15), this::scrape,
        s -> s.sum("fiberlb_listener_bytes_out_total", Map.of("load_balancer", lb.getId())) >= 7
            && s.sum("fiberlb_backend_probe_duration_seconds_count", Map.of("load_balancer", lb.getId())) >= 1
            && !s.find("fiberlb_listener_info", Map.of("load_balancer", lb.getId())).isEmpty());
  }

  @Test
  void theScrapeIsValidExposition() throws Exception {
    Scrape s = full();
    Files.writeString(Path.of("target/metrics-scrape.txt"), s.text); // to read when this test fails
    var families = ExpositionCheck.check(s.text);
    assertThat(families).containsKeys("fiberlb_listener_bytes_in_total", "fiberlb_grpc_server_handled_total",
        "fiberlb_grpc_server_handling_seconds", "fiberlb_backend_health_state", "fiberlb_load_balancer_info",
        "fiberlb_listener_info");
    assertThat(families.get("fiberlb_grpc_server_handling_seconds").type()).isEqualTo("histogram");
    assertThat(families.get("fiberlb_listener_bytes_in_total").type()).isEqualTo("counter");
  }

  @Test
  void jvmAndProcessMetricsAreThere() {
    var families = ExpositionCheck.check(full().text);
    assertThat(families).containsKeys("jvm_memory_used_bytes", "jvm_threads_current", "jvm_gc_collection_seconds",
        "jvm_classes_currently_loaded", "process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_open_fds", "process_start_time_seconds");
    Scrape s = full();
    assertThat(s.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
    assertThat(s.sum("process_resident_memory_bytes", Map.of())).isPositive();
  }

  @Test
  void infoSeriesCarryTheNamesAndFollowARename() {
    Scrape s = full();
    var lbLabels = Map.of("org", "default", "project", "exposition", "load_balancer", lb.getId(), "name", "web",
        "vip_address", lb.getVipAddress());
    assertThat(s.value("fiberlb_load_balancer_info", lbLabels)).isEqualTo(1.0);
    var listenerLabels = Map.of("org", "default", "project", "exposition", "load_balancer", lb.getId(),
        "listener", listenerId, "name", "http", "protocol", "TCP", "protocol_port", Integer.toString(port));
    assertThat(s.value("fiberlb_listener_info", listenerLabels)).isEqualTo(1.0);
    // Traffic series carry ids only: the name is joined from the info series.
    assertThat(s.find("fiberlb_listener_bytes_in_total", Map.of("listener", listenerId))).singleElement()
        .satisfies(x -> assertThat(x.labels()).doesNotContainKey("name"));

    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb.getId())
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("web-renamed")).build());
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(listenerId).setListener(ListenerSpec.newBuilder().setName("http-renamed")).build());
    Scrape renamed = Poll.until("the new names", Duration.ofSeconds(10), this::scrape,
        x -> !x.find("fiberlb_listener_info", Map.of("listener", listenerId, "name", "http-renamed")).isEmpty()
            && !x.find("fiberlb_load_balancer_info", Map.of("load_balancer", lb.getId(), "name", "web-renamed"))
                .isEmpty());
    assertThat(renamed.find("fiberlb_load_balancer_info", Map.of("load_balancer", lb.getId()))).hasSize(1);
    assertThat(renamed.find("fiberlb_listener_info", Map.of("listener", listenerId))).hasSize(1);
    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb.getId())
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("web")).build());
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(listenerId).setListener(ListenerSpec.newBuilder().setName("http")).build());
    Poll.until("the names back", Duration.ofSeconds(10), this::scrape,
        x -> !x.find("fiberlb_listener_info", Map.of("listener", listenerId, "name", "http")).isEmpty()
            && !x.find("fiberlb_load_balancer_info", Map.of("load_balancer", lb.getId(), "name", "web")).isEmpty());
  }

  /** Metric names in a PromQL expression: identifiers with our prefixes (functions and labels have none). */
  private static final Pattern METRIC = Pattern.compile("\\b(?:fiberlb|jvm|process)_[a-zA-Z0-9_:]*");

  @Test
  void theGrafanaDashboardParsesAndQueriesOnlyMetricsTheNodeExports() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    assertThat(dashboard.path("title").asText()).isNotBlank();
    assertThat(dashboard.path("uid").asText()).isNotBlank();
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    dashboard.findValues("query").forEach(q -> {
      if (q.isTextual()) exprs.add(q.asText());
      else if (q.has("query")) exprs.add(q.get("query").asText());
    });
    assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(10);
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(15);
    Set<String> queried = new TreeSet<>();
    for (String e : exprs) METRIC.matcher(e).results().forEach(m -> queried.add(m.group()));
    assertThat(queried).contains("fiberlb_load_balancer_info", "fiberlb_listener_info", "jvm_memory_used_bytes",
        "process_cpu_seconds_total");

    Scrape s = full();
    Set<String> exported = new TreeSet<>();
    s.samples.forEach(x -> exported.add(x.name()));
    ExpositionCheck.check(s.text).keySet().forEach(exported::add);
    assertThat(queried).as("metrics the dashboard queries that /metrics does not export")
        .allSatisfy(name -> assertThat(exported).contains(name));
  }
}
