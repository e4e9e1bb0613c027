package io.fiberlb.it;

import static io.fiberlb.it.ControlPlaneApiTest.dur;
import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.*;
import io.grpc.Status;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every validation rule, through the real API: the exact status code, a message that names the field and the
 * rule, and nothing changed (the load balancer's whole status tree and version are as they were).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private TestServer server;
  private TestServer.Api api;
  /** A load balancer with one of everything, which every case tries to damage. */
  private String lb;
  private String pool;
  private String listener;
  private String backend;
  private String hc;
  /** A UDP pool watched by a UDP_CONNECT check, served by a UDP listener on port 80 beside the TCP one. */
  private String udpPool;
  private String udpHc;

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of());
    api = server.as("bad-input");
    lb = api.createLb("taken-name").getId();
    hc = api.createHealthCheck(lb).getId();
    pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("pool-a").setHealthCheckId(hc)).build()).getId();
    backend = api.createBackend(lb, pool, "10.0.0.1", 80).getId();
    listener = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
        .setListener(ListenerSpec.newBuilder().setName("http").setProtocolPort(80).setDefaultPoolId(pool)).build()).getId();
    udpHc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder().setLoadBalancerId(lb)
        .setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.UDP_CONNECT)).build()).getId();
    udpPool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("pool-udp").setProtocol(Protocol.UDP).setHealthCheckId(udpHc)).build())
        .getId();
    // A TCP and a UDP listener share port 80: one listener per (transport, port).
    api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb)
        .setListener(ListenerSpec.newBuilder().setName("udp").setProtocol(Protocol.UDP).setProtocolPort(80)
            .setDefaultPoolId(udpPool)).build());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** One case: what to send, and what must come back. */
  record Case(String name, Consumer<BadInputTest> call, Status.Code code, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(String name, Status.Code code, String message, Consumer<BadInputTest> call) {
    return new Case(name, call, code, message);
  }

  private void createLb(LoadBalancerSpec.Builder spec) {
    api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setLoadBalancer(spec).build());
  }

  private void updateLb(LoadBalancerSpec.Builder spec) {
    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb).setLoadBalancer(spec).build());
  }

  private void createListener(ListenerSpec.Builder spec) {
    api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder().setLoadBalancerId(lb).setListener(spec).build());
  }

  private void updateListener(ListenerSpec.Builder spec) {
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb).setId(listener)
        .setListener(spec).build());
  }

  private void createPool(PoolSpec.Builder spec) {
    api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb).setPool(spec).build());
  }

  private void updatePool(PoolSpec.Builder spec) {
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb).setId(pool).setPool(spec).build());
  }

  private void createBackend(String poolId, BackendSpec.Builder spec) {
    api.call(api.backends().createBackend(), CreateBackendRequest.newBuilder().setLoadBalancerId(lb).setPoolId(poolId)
        .setBackend(spec).build());
  }

  private void updateBackend(BackendSpec.Builder spec) {
    api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder().setLoadBalancerId(lb).setId(backend)
        .setBackend(spec).build());
  }

  private void createHc(HealthCheckSpec.Builder spec) {
    api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder().setLoadBalancerId(lb)
        .setHealthCheck(spec).build());
  }

  private void updateHc(HealthCheckSpec.Builder spec) {
    api.call(api.healthChecks().updateHealthCheck(), UpdateHealthCheckRequest.newBuilder().setLoadBalancerId(lb)
        .setId(hc).setHealthCheck(spec).build());
  }

  private static final Status.Code INVALID = Status.Code.INVALID_ARGUMENT;
  private static final String MISSING = "00000000-0000-4000-8000-000000000000";

  static Stream<Case> cases() {
    String longName = String.join("", Collections.nCopies(256, "n"));
    return Stream.of(
        // load balancer
        c("lb name required", INVALID, "load_balancer.name: is required", t -> t.createLb(LoadBalancerSpec.newBuilder())),
        c("lb name too long", INVALID, "load_balancer.name: must be at most 255 characters, got 256",
            t -> t.createLb(LoadBalancerSpec.newBuilder().setName(longName))),
        c("lb name control char", INVALID, "load_balancer.name: must not contain control characters",
            t -> t.updateLb(LoadBalancerSpec.newBuilder().setName("a\nb"))),
        c("lb description too long", INVALID, "load_balancer.description: must be at most 255",
            t -> t.updateLb(LoadBalancerSpec.newBuilder().setDescription(longName))),
        c("lb empty tag", INVALID, "load_balancer.tags: a tag must not be empty",
            t -> t.updateLb(LoadBalancerSpec.newBuilder().addTags(" "))),
        c("lb too many tags", INVALID, "load_balancer.tags: at most 50 tags, got 51",
            t -> t.updateLb(LoadBalancerSpec.newBuilder().addAllTags(Collections.nCopies(51, "t")))),
        c("lb vip not an address", INVALID, "load_balancer.vip_address: must be an IPv4 or IPv6 address, got 'nope'",
            t -> t.createLb(LoadBalancerSpec.newBuilder().setName("x1").setVipAddress("nope"))),
        c("lb vip outside range", INVALID, "load_balancer.vip_address: must be a usable address of the VIP range",
            t -> t.createLb(LoadBalancerSpec.newBuilder().setName("x2").setVipAddress("127.0.11.1"))),
        c("lb vip network address", INVALID, "must be a usable address of the VIP range 127.0.10.0/24, got 127.0.10.0",
            t -> t.createLb(LoadBalancerSpec.newBuilder().setName("x3").setVipAddress("127.0.10.0"))),
        c("lb vip cannot change", INVALID, "load_balancer.vip_address: cannot be changed after create",
            t -> t.updateLb(LoadBalancerSpec.newBuilder().setVipAddress("127.0.10.99"))),
        c("lb name taken", Status.Code.ALREADY_EXISTS, "load_balancer.name: 'taken-name' is already used",
            t -> t.createLb(LoadBalancerSpec.newBuilder().setName("taken-name"))),
        c("lb bad request id", INVALID, "request_id: must be 1..128 characters",
            t -> t.api.call(t.api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setRequestId("a b")
                .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("x4")).build())),
        c("lb delete with children", Status.Code.FAILED_PRECONDITION, "delete them first or pass cascade",
            t -> t.api.call(t.api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(t.lb).build())),
        // listener
        c("listener port required", INVALID, "listener.protocol_port: is required",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocol(Protocol.TCP))),
        c("listener port too big", INVALID, "listener.protocol_port: must be 1..65535, got 70000",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocolPort(70000))),
        c("listener port zero", INVALID, "listener.protocol_port: must be 1..65535, got 0",
            t -> t.updateListener(ListenerSpec.newBuilder().setProtocolPort(0))),
        c("listener protocol PROXY", INVALID, "listener.protocol: PROXY is a pool protocol",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocol(Protocol.PROXY).setProtocolPort(53))),
        c("UDP listener with a TCP pool", Status.Code.FAILED_PRECONDITION,
            "listener.default_pool_id: pool %POOL% is a TCP pool; a UDP listener needs a UDP pool",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocol(Protocol.UDP).setProtocolPort(53)
                .setDefaultPoolId(t.pool))),
        c("TCP listener with a UDP pool", Status.Code.FAILED_PRECONDITION,
            "is a UDP pool; a TCP listener takes TCP, HTTP, PROXY or PROXYV2 pools",
            t -> t.updateListener(ListenerSpec.newBuilder().setDefaultPoolId(t.udpPool))),
        c("UDP listener port taken", Status.Code.ALREADY_EXISTS,
            "listener.protocol_port: port 80 is already used by listener",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocol(Protocol.UDP).setProtocolPort(80)
                .setDefaultPoolId(t.udpPool))),
        c("listener protocol unset", INVALID, "listener.protocol: must be one of TCP",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocol(Protocol.PROTOCOL_UNSPECIFIED).setProtocolPort(53))),
        c("listener port taken", Status.Code.ALREADY_EXISTS, "listener.protocol_port: port 80 is already used by listener",
            t -> t.createListener(ListenerSpec.newBuilder().setProtocolPort(80))),
        c("listener name taken", Status.Code.ALREADY_EXISTS, "listener.name: 'http' is already used",
            t -> t.createListener(ListenerSpec.newBuilder().setName("http").setProtocolPort(81))),
        c("listener connection limit 0", INVALID, "listener.connection_limit: must be -1 (unlimited) or 1..1000000, got 0",
            t -> t.updateListener(ListenerSpec.newBuilder().setConnectionLimit(0))),
        c("listener connection limit -2", INVALID, "listener.connection_limit: must be -1 (unlimited) or 1..1000000, got -2",
            t -> t.updateListener(ListenerSpec.newBuilder().setConnectionLimit(-2))),
        c("listener client idle zero", INVALID, "listener.timeout_client_idle: must be 1ms..24h, got 0s",
            t -> t.updateListener(ListenerSpec.newBuilder().setTimeoutClientIdle(dur(0)))),
        c("listener connect timeout over", INVALID, "listener.timeout_backend_connect: must be 1ms..24h, got 25h",
            t -> t.updateListener(ListenerSpec.newBuilder().setTimeoutBackendConnect(dur(90_000_000)))),
        c("listener negative timeout", INVALID, "listener.timeout_backend_idle: must not be negative",
            t -> t.updateListener(ListenerSpec.newBuilder().setTimeoutBackendIdle(
                com.google.protobuf.Duration.newBuilder().setSeconds(-1)))),
        c("listener bad cidr", INVALID, "listener.allowed_cidrs: must be CIDRs like 10.0.0.0/8",
            t -> t.updateListener(ListenerSpec.newBuilder().addAllowedCidrs("10.0.0.1"))),
        c("listener unknown pool", Status.Code.NOT_FOUND, "listener.default_pool_id: no pool " + MISSING,
            t -> t.updateListener(ListenerSpec.newBuilder().setDefaultPoolId(MISSING))),
        c("listener unknown", Status.Code.NOT_FOUND, "listener " + MISSING + " not found",
            t -> t.api.call(t.api.listeners().getListener(), GetListenerRequest.newBuilder().setLoadBalancerId(t.lb)
                .setId(MISSING).build())),
        // pool
        c("pool protocol TERMINATED_HTTPS", INVALID, "pool.protocol: a pool is TCP, UDP, HTTP, PROXY or PROXYV2",
            t -> t.createPool(PoolSpec.newBuilder().setProtocol(Protocol.TERMINATED_HTTPS))),
        c("pool algorithm unset", INVALID, "pool.lb_algorithm: must be one of ROUND_ROBIN",
            t -> t.createPool(PoolSpec.newBuilder().setLbAlgorithm(LbAlgorithm.LB_ALGORITHM_UNSPECIFIED))),
        c("pool persistence timeout", INVALID, "pool.session_persistence.timeout: must be 1s..24h, got 500ms",
            t -> t.updatePool(PoolSpec.newBuilder().setSessionPersistence(SessionPersistence.newBuilder()
                .setType(SessionPersistence.Type.SOURCE_IP).setTimeout(dur(500))))),
        c("pool persistence type unset", INVALID, "pool.session_persistence.type: must be one of NONE, SOURCE_IP",
            t -> t.updatePool(PoolSpec.newBuilder().setSessionPersistence(SessionPersistence.newBuilder()))),
        c("pool unknown health check", Status.Code.NOT_FOUND, "pool.health_check_id: no health check " + MISSING,
            t -> t.updatePool(PoolSpec.newBuilder().setHealthCheckId(MISSING))),
        c("pool UDP_CONNECT check on a TCP pool", Status.Code.FAILED_PRECONDITION,
            "pool.health_check_id: health check %UDPHC% is UDP_CONNECT, which cannot probe a TCP pool (a TCP pool"
                + " takes TCP, HTTP, HTTPS or TLS_HELLO)",
            t -> t.updatePool(PoolSpec.newBuilder().setHealthCheckId(t.udpHc))),
        c("pool TCP check on a UDP pool", Status.Code.FAILED_PRECONDITION,
            "pool.health_check_id: health check %HC% is TCP, which cannot probe a UDP pool (a UDP pool takes"
                + " UDP_CONNECT)",
            t -> t.createPool(PoolSpec.newBuilder().setProtocol(Protocol.UDP).setHealthCheckId(t.hc))),
        c("pool name taken", Status.Code.ALREADY_EXISTS, "pool.name: 'pool-a' is already used",
            t -> t.createPool(PoolSpec.newBuilder().setName("pool-a"))),
        c("pool in use", Status.Code.FAILED_PRECONDITION, "is the default pool of listener",
            t -> t.api.call(t.api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(t.lb)
                .setId(t.pool).build())),
        // backend
        c("backend address required", INVALID, "backend.address: is required",
            t -> t.createBackend(t.pool, BackendSpec.newBuilder().setProtocolPort(80))),
        c("backend port required", INVALID, "backend.protocol_port: is required",
            t -> t.createBackend(t.pool, BackendSpec.newBuilder().setAddress("10.0.0.9"))),
        c("backend bad address", INVALID, "backend.address: must be an IPv4 or IPv6 address or a host name, got 'not an address'",
            t -> t.createBackend(t.pool, BackendSpec.newBuilder().setAddress("not an address").setProtocolPort(80))),
        c("backend weight 257", INVALID, "backend.weight: must be 0..256 (0 drains the backend), got 257",
            t -> t.updateBackend(BackendSpec.newBuilder().setWeight(257))),
        c("backend weight -1", INVALID, "backend.weight: must be 0..256 (0 drains the backend), got -1",
            t -> t.updateBackend(BackendSpec.newBuilder().setWeight(-1))),
        c("backend monitor port", INVALID, "backend.monitor_port: must be 1..65535, or 0 to probe protocol_port, got 70000",
            t -> t.updateBackend(BackendSpec.newBuilder().setMonitorPort(70000))),
        c("backend unknown pool", Status.Code.NOT_FOUND, "pool_id: no pool " + MISSING,
            t -> t.createBackend(MISSING, BackendSpec.newBuilder().setAddress("10.0.0.9").setProtocolPort(80))),
        c("backend duplicate", Status.Code.ALREADY_EXISTS, "backend.address: 10.0.0.1:80 is already backend",
            t -> t.createBackend(t.pool, BackendSpec.newBuilder().setAddress("10.0.0.1").setProtocolPort(80))),
        // health check
        c("hc type required", INVALID, "health_check.type: is required", t -> t.createHc(HealthCheckSpec.newBuilder())),
        c("hc type unset", INVALID, "health_check.type: must be one of TCP, HTTP",
            t -> t.createHc(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TYPE_UNSPECIFIED))),
        c("hc interval too short", INVALID, "health_check.interval: must be 100ms..1h, got 50ms",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setInterval(dur(50)).setTimeout(dur(20)))),
        c("hc timeout not below interval", INVALID, "health_check.timeout: must be shorter than interval (2s), got 3s",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setInterval(dur(2000)).setTimeout(dur(3000)))),
        c("hc rise 0", INVALID, "health_check.rise: must be 1..10, got 0",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setRise(0))),
        c("hc fall 11", INVALID, "health_check.fall: must be 1..10, got 11",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setFall(11))),
        c("hc http method", INVALID, "health_check.http_method: must be one of GET",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setHttpMethod("FETCH"))),
        c("hc url path", INVALID, "health_check.url_path: must start with /",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setUrlPath("health"))),
        c("hc expected codes syntax", INVALID, "health_check.expected_codes: must be like 200, 200,204 or 200-299",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setExpectedCodes("2xx"))),
        c("hc expected codes range", INVALID, "health_check.expected_codes: must be like 200, 200,204 or 200-299 (codes 100..599), got '299-200'",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setExpectedCodes("299-200"))),
        c("hc type no longer fits its pool", Status.Code.FAILED_PRECONDITION,
            "health_check.type: UDP_CONNECT cannot probe TCP pool %POOL%, which uses this health check",
            t -> t.updateHc(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.UDP_CONNECT))),
        c("hc in use", Status.Code.FAILED_PRECONDITION, "is used by pool",
            t -> t.api.call(t.api.healthChecks().deleteHealthCheck(), DeleteHealthCheckRequest.newBuilder()
                .setLoadBalancerId(t.lb).setId(t.hc).build())));
  }

  static Stream<Arguments> args() {
    return cases().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("args")
  void refusedWithTheFieldAndTheRuleAndNothingChanges(Case c) {
    LoadBalancerStatus before = tree();
    List<LoadBalancer> lbsBefore = lbs();
    assertThatThrownBy(() -> c.call().accept(this)).satisfies(t -> {
      Status s = statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(c.code());
      assertThat(s.getDescription()).contains(c.message().replace("%POOL%", pool).replace("%HC%", hc)
          .replace("%UDPHC%", udpHc));
    });
    assertThat(tree()).isEqualTo(before);
    assertThat(lbs()).isEqualTo(lbsBefore);
  }

  private LoadBalancerStatus tree() {
    return api.call(api.lbs().getLoadBalancerStatus(), GetLoadBalancerStatusRequest.newBuilder().setId(lb).build());
  }

  private List<LoadBalancer> lbs() {
    return api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance()).getLoadBalancersList();
  }
}
