package io.fiberlb.it;

import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fiberlb.api.v1.*;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The gRPC API end to end: a real client against a real server on an H2 file. Each test works in a project of
 * its own, so the tests share one server and still see only their own resources (and quotas).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneApiTest {
  private TestServer server;
  private final AtomicInteger projects = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    server = new TestServer(Map.of(
        "fiberlb.quotas.load-balancers", 4,
        "fiberlb.quotas.listeners", 3,
        "fiberlb.quotas.pools", 3,
        "fiberlb.quotas.backends", 5,
        "fiberlb.quotas.health-checks", 2));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private TestServer.Api freshProject() {
    return server.as("p" + projects.incrementAndGet());
  }

  private static void assertStatus(Runnable call, Status.Code code, String messagePart) {
    assertThatThrownBy(call::run).satisfies(t -> {
      Status s = statusOf(t);
      assertThat(s.getCode()).as(s.toString()).isEqualTo(code);
      assertThat(s.getDescription()).contains(messagePart);
    });
  }

  @Test
  void fullLifecycleOfEveryResource() {
    var api = freshProject();
    LoadBalancer lb = api.createLb("web");
    assertThat(lb.getVipAddress()).startsWith("127.0.10.");
    assertThat(lb.getVersion()).isEqualTo(1);
    assertThat(lb.getProvisioningStatus()).isEqualTo(Provisioning.Status.ACTIVE);
    assertThat(lb.getOperatingStatus()).isEqualTo(Operating.Status.ONLINE);
    assertThat(lb.getOrgId()).isEqualTo("default");
    assertThat(lb.getProjectId()).isEqualTo(api.project);
    assertThat(api.getLb(lb.getId())).isEqualTo(lb);

    // List shows the create at once (read-your-writes).
    var list = api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance());
    assertThat(list.getLoadBalancersList()).containsExactly(lb);

    LoadBalancer updated = api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
        .setId(lb.getId()).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("public web")).build());
    assertThat(updated.getDescription()).isEqualTo("public web");
    assertThat(updated.getName()).isEqualTo("web");
    assertThat(updated.getVersion()).isEqualTo(2);

    HealthCheck hc = api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.HTTP)
            .setInterval(dur(2000)).setTimeout(dur(1000)).setRise(2).setFall(3).setUrlPath("/health")).build());
    assertThat(hc.getUrlPath()).isEqualTo("/health");
    assertThat(hc.getExpectedCodes()).isEqualTo("200");
    assertThat(hc.getHttpMethod()).isEqualTo("GET");

    Pool pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setName("web").setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.MAGLEV)
            .setHealthCheckId(hc.getId())).build());
    assertThat(pool.getLbAlgorithm()).isEqualTo(LbAlgorithm.MAGLEV);
    assertThat(pool.getHealthCheckId()).isEqualTo(hc.getId());

    Backend b1 = api.call(api.backends().createBackend(), CreateBackendRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setPoolId(pool.getId())
        .setBackend(BackendSpec.newBuilder().setAddress("10.0.0.5").setProtocolPort(8080).setWeight(10)).build());
    Backend b2 = api.createBackend(lb.getId(), pool.getId(), "backend-2.example", 8080);
    assertThat(b1.getWeight()).isEqualTo(10);
    assertThat(b2.getWeight()).isEqualTo(1);
    // Its pool has a health check: monitored, and trusted until its checks fail (as HAProxy starts servers).
    assertThat(b1.getOperatingStatus()).isEqualTo(Operating.Status.ONLINE);

    Listener listener = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setListener(ListenerSpec.newBuilder().setName("http").setProtocol(Protocol.TCP)
            .setProtocolPort(80).setDefaultPoolId(pool.getId())).build());
    assertThat(listener.getConnectionLimit()).isEqualTo(-1);
    assertThat(listener.getTimeoutClientIdle()).isEqualTo(dur(50_000));

    // Reads of every child.
    assertThat(api.call(api.listeners().getListener(), GetListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(listener.getId()).build())).isEqualTo(listener);
    // Created empty it was in ERROR (no backend); two backends later it is ONLINE.
    Pool poolNow = pool.toBuilder().setOperatingStatus(Operating.Status.ONLINE).clearOperatingStatusReason().build();
    assertThat(api.call(api.pools().getPool(), GetPoolRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(pool.getId()).build())).isEqualTo(poolNow);
    assertThat(pool.getOperatingStatus()).isEqualTo(Operating.Status.ERROR);
    assertThat(pool.getOperatingStatusReason()).isEqualTo("no enabled backend");
    assertThat(api.call(api.backends().getBackend(), GetBackendRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(b1.getId()).build())).isEqualTo(b1);
    assertThat(api.call(api.healthChecks().getHealthCheck(), GetHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(hc.getId()).build())).isEqualTo(hc);

    // Paging through backends one at a time, in creation order.
    var page1 = api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setPoolId(pool.getId()).setPageSize(1).build());
    assertThat(page1.getBackendsList()).containsExactly(b1);
    assertThat(page1.getNextPageToken()).isNotEmpty();
    var page2 = api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setPoolId(pool.getId()).setPageSize(1).setPageToken(page1.getNextPageToken())
        .build());
    assertThat(page2.getBackendsList()).containsExactly(b2);
    assertThat(page2.getNextPageToken()).isEmpty();
    assertThat(api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).build()).getListenersList()).containsExactly(listener);
    assertThat(api.call(api.pools().listPools(), ListPoolsRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).build()).getPoolsList()).containsExactly(poolNow);
    assertThat(api.call(api.healthChecks().listHealthChecks(), ListHealthChecksRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).build()).getHealthChecksList()).containsExactly(hc);

    // Updates: only the fields given change.
    Backend drained = api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(b1.getId()).setBackend(BackendSpec.newBuilder().setWeight(0)).build());
    assertThat(drained.getWeight()).isZero();
    assertThat(drained.getAddress()).isEqualTo("10.0.0.5");
    assertThat(drained.getOperatingStatus()).isEqualTo(Operating.Status.DRAINING);
    assertThat(drained.getVersion()).isGreaterThan(b1.getVersion());
    Listener limited = api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(listener.getId()).setListener(ListenerSpec.newBuilder()
            .setConnectionLimit(1000).setAllowedCidrsSet(true).addAllowedCidrs("10.0.0.0/8")).build());
    assertThat(limited.getConnectionLimit()).isEqualTo(1000);
    assertThat(limited.getAllowedCidrsList()).containsExactly("10.0.0.0/8");
    assertThat(limited.getProtocolPort()).isEqualTo(80);
    Pool rr = api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(pool.getId()).setPool(PoolSpec.newBuilder().setLbAlgorithm(LbAlgorithm.LEAST_CONNECTIONS)).build());
    assertThat(rr.getLbAlgorithm()).isEqualTo(LbAlgorithm.LEAST_CONNECTIONS);
    HealthCheck slower = api.call(api.healthChecks().updateHealthCheck(), UpdateHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(hc.getId()).setHealthCheck(HealthCheckSpec.newBuilder()
            .setInterval(dur(10_000)).setExpectedCodes("200-299")).build());
    assertThat(slower.getInterval()).isEqualTo(dur(10_000));
    assertThat(slower.getExpectedCodes()).isEqualTo("200-299");

    // The status tree.
    LoadBalancerStatus tree = api.call(api.lbs().getLoadBalancerStatus(),
        GetLoadBalancerStatusRequest.newBuilder().setId(lb.getId()).build());
    assertThat(tree.getListenersList()).extracting(ListenerStatus::getId).containsExactly(listener.getId());
    assertThat(tree.getPoolsList()).hasSize(1);
    assertThat(tree.getPools(0).getHealthCheck().getId()).isEqualTo(hc.getId());
    assertThat(tree.getPools(0).getBackendsList()).extracting(BackendStatus::getId).containsExactly(b1.getId(), b2.getId());
    assertThat(tree.getPools(0).getBackends(0).getOperatingStatus()).isEqualTo(Operating.Status.DRAINING);

    // Things in use cannot be deleted; a load balancer with children needs cascade.
    assertStatus(() -> api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(pool.getId()).build()), Status.Code.FAILED_PRECONDITION, "default pool of listener " + listener.getId());
    assertStatus(() -> api.call(api.healthChecks().deleteHealthCheck(), DeleteHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(hc.getId()).build()), Status.Code.FAILED_PRECONDITION, "used by pool");
    assertStatus(() -> api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder()
        .setId(lb.getId()).build()), Status.Code.FAILED_PRECONDITION, "cascade");

    // Deletes of children.
    api.call(api.backends().deleteBackend(), DeleteBackendRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(b2.getId()).build());
    assertStatus(() -> api.call(api.backends().getBackend(), GetBackendRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(b2.getId()).build()), Status.Code.NOT_FOUND, "backend " + b2.getId());
    api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(listener.getId()).build());
    // With the listener gone the pool can go, and takes its remaining backend with it.
    long v = api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(pool.getId()).build()).getVersion();
    assertThat(v).isEqualTo(api.getLb(lb.getId()).getVersion());
    assertStatus(() -> api.call(api.backends().getBackend(), GetBackendRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(b1.getId()).build()), Status.Code.NOT_FOUND, "not found");
    api.call(api.healthChecks().deleteHealthCheck(), DeleteHealthCheckRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(hc.getId()).build());
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb.getId()).build());
    assertStatus(() -> api.getLb(lb.getId()), Status.Code.NOT_FOUND, lb.getId());
    assertThat(api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
        .getLoadBalancersList()).isEmpty();
  }

  @Test
  void cascadeDeleteRemovesTheWholeTreeAndFreesNameAndVip() {
    var api = freshProject();
    LoadBalancer lb = api.createLb("shop");
    HealthCheck hc = api.createHealthCheck(lb.getId());
    Pool pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPool(PoolSpec.newBuilder().setHealthCheckId(hc.getId())).build());
    api.createBackend(lb.getId(), pool.getId(), "127.0.0.1", 8080);
    Listener l = api.createListener(lb.getId(), 443, pool.getId());

    long version = api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder()
        .setId(lb.getId()).setCascade(true).build()).getVersion();
    assertThat(version).isEqualTo(lb.getVersion() + 4 + 1); // four children, then the delete
    assertStatus(() -> api.getLb(lb.getId()), Status.Code.NOT_FOUND, "not found");
    assertStatus(() -> api.call(api.listeners().getListener(), GetListenerRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).setId(l.getId()).build()), Status.Code.NOT_FOUND, "not found");
    assertStatus(() -> api.call(api.pools().listPools(), ListPoolsRequest.newBuilder()
        .setLoadBalancerId(lb.getId()).build()), Status.Code.NOT_FOUND, "not found");

    // The name and the VIP were given back: both can be taken again at once.
    LoadBalancer again = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("shop").setVipAddress(lb.getVipAddress())).build());
    assertThat(again.getVipAddress()).isEqualTo(lb.getVipAddress());
    assertThat(again.getId()).isNotEqualTo(lb.getId());
  }

  @Test
  void anotherProjectSeesNothingAndChangesNothing() {
    var owner = freshProject();
    LoadBalancer lb = owner.createLb("private");
    Pool pool = owner.createPool(lb.getId(), "p");
    Listener listener = owner.createListener(lb.getId(), 8080, pool.getId());

    for (var other : List.of(freshProject(), server.as("other-org", owner.project))) {
      assertStatus(() -> other.getLb(lb.getId()), Status.Code.NOT_FOUND, "load balancer " + lb.getId() + " not found");
      assertStatus(() -> other.call(other.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
          .setId(lb.getId()).setLoadBalancer(LoadBalancerSpec.newBuilder().setName("stolen")).build()),
          Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.call(other.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder()
          .setId(lb.getId()).setCascade(true).build()), Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.call(other.listeners().getListener(), GetListenerRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).setId(listener.getId()).build()), Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.call(other.listeners().listListeners(), ListListenersRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).build()), Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.call(other.listeners().deleteListener(), DeleteListenerRequest.newBuilder()
          .setLoadBalancerId(lb.getId()).setId(listener.getId()).build()), Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.createBackend(lb.getId(), pool.getId(), "10.1.1.1", 80), Status.Code.NOT_FOUND, "not found");
      assertStatus(() -> other.call(other.lbs().getLoadBalancerStatus(), GetLoadBalancerStatusRequest.newBuilder()
          .setId(lb.getId()).build()), Status.Code.NOT_FOUND, "not found");
      assertThat(other.call(other.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
          .getLoadBalancersList()).isEmpty();
      // The same name is free in another project.
      assertThat(other.createLb("private").getName()).isEqualTo("private");
    }
    assertThat(owner.getLb(lb.getId())).isEqualTo(owner.getLb(lb.getId()));
    assertThat(owner.getLb(lb.getId()).getName()).isEqualTo("private");
    assertThat(owner.getLb(lb.getId()).getVersion()).isEqualTo(3);
  }

  @Test
  void quotasAreEnforcedPerProjectAndFreedByDeletes() {
    var api = freshProject();
    var lbs = new ArrayList<LoadBalancer>();
    for (int i = 0; i < 4; i++) lbs.add(api.createLb("lb" + i));
    assertStatus(() -> api.createLb("lb4"), Status.Code.RESOURCE_EXHAUSTED, "limit is 4");
    assertThat(api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
        .getLoadBalancersCount()).isEqualTo(4);

    // Listeners count across all load balancers of the project.
    String a = lbs.get(0).getId();
    String b = lbs.get(1).getId();
    api.createListener(a, 1, null);
    api.createListener(a, 2, null);
    Listener third = api.createListener(b, 1, null);
    assertStatus(() -> api.createListener(b, 2, null), Status.Code.RESOURCE_EXHAUSTED, "would have 4 listeners, its limit is 3");
    long before = api.getLb(b).getVersion();
    assertThat(api.getLb(b).getVersion()).isEqualTo(before);
    api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(b)
        .setId(third.getId()).build());
    assertThat(api.createListener(b, 2, null).getProtocolPort()).isEqualTo(2);

    // Deleting a load balancer frees its slot and its children's.
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(a).setCascade(true).build());
    api.createLb("lb4");
    api.createListener(b, 3, null);

    // Another project has its own quota.
    assertThat(freshProject().createLb("x").getName()).isEqualTo("x");
  }

  @Test
  void vipsAreAllocatedRequestedRefusedAndReused() {
    var api = freshProject();
    LoadBalancer wanted = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("fixed").setVipAddress("127.0.10.200")).build());
    assertThat(wanted.getVipAddress()).isEqualTo("127.0.10.200");
    LoadBalancer any = api.createLb("any");
    assertThat(any.getVipAddress()).isNotEqualTo("127.0.10.200").startsWith("127.0.10.");

    var other = freshProject();
    assertStatus(() -> other.call(other.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("thief").setVipAddress("127.0.10.200")).build()),
        Status.Code.ALREADY_EXISTS, "load_balancer.vip_address: 127.0.10.200 is already held");
    assertStatus(() -> other.call(other.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("far").setVipAddress("10.9.9.9")).build()),
        Status.Code.INVALID_ARGUMENT, "load_balancer.vip_address: must be a usable address of the VIP range 127.0.10.0/24");
    // The refused creates left nothing behind: the names are free and no VIP is held for them.
    assertThat(other.call(other.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
        .getLoadBalancersList()).isEmpty();
    assertThat(other.createLb("thief").getVipAddress()).isNotEqualTo("127.0.10.200");

    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(wanted.getId()).build());
    LoadBalancer reused = other.call(other.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("far").setVipAddress("127.0.10.200")).build());
    assertThat(reused.getVipAddress()).isEqualTo("127.0.10.200");
  }

  @Test
  void retriesWithTheSameRequestIdCreateOnce() {
    var api = freshProject();
    var req = CreateLoadBalancerRequest.newBuilder().setRequestId("create-web-1")
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("web")).build();
    LoadBalancer first = api.call(api.lbs().createLoadBalancer(), req);
    LoadBalancer retry = api.call(api.lbs().createLoadBalancer(), req);
    assertThat(retry.getId()).isEqualTo(first.getId());
    assertThat(retry.getVipAddress()).isEqualTo(first.getVipAddress());
    assertThat(api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
        .getLoadBalancersCount()).isEqualTo(1);

    var poolReq = CreatePoolRequest.newBuilder().setLoadBalancerId(first.getId()).setRequestId("pool-1")
        .setPool(PoolSpec.newBuilder().setName("p")).build();
    Pool p1 = api.call(api.pools().createPool(), poolReq);
    Pool p2 = api.call(api.pools().createPool(), poolReq);
    assertThat(p2).isEqualTo(p1);
    var backendReq = CreateBackendRequest.newBuilder().setLoadBalancerId(first.getId()).setPoolId(p1.getId())
        .setRequestId("be-1").setBackend(BackendSpec.newBuilder().setAddress("10.0.0.1").setProtocolPort(80)).build();
    assertThat(api.call(api.backends().createBackend(), backendReq))
        .isEqualTo(api.call(api.backends().createBackend(), backendReq));
    assertThat(api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder()
        .setLoadBalancerId(first.getId()).build()).getBackendsCount()).isEqualTo(1);
    assertThat(api.getLb(first.getId()).getVersion()).isEqualTo(3);

    // The same request id in another project is another load balancer.
    var other = freshProject();
    assertThat(other.call(other.lbs().createLoadBalancer(), req).getId()).isNotEqualTo(first.getId());
  }

  @Test
  void expectedVersionGuardsEveryWrite() {
    var api = freshProject();
    LoadBalancer lb = api.createLb("v");
    assertStatus(() -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
            .setId(lb.getId()).setExpectedVersion(7).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("x")).build()),
        Status.Code.ABORTED, "is at version 1, not 7");
    assertThat(api.getLb(lb.getId())).isEqualTo(lb);
    LoadBalancer ok = api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
        .setId(lb.getId()).setExpectedVersion(1).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("x")).build());
    assertThat(ok.getVersion()).isEqualTo(2);

    Pool pool = api.createPool(lb.getId(), "p");
    assertStatus(() -> api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
            .setId(pool.getId()).setExpectedVersion(pool.getVersion() - 1)
            .setPool(PoolSpec.newBuilder().setName("q")).build()),
        Status.Code.ABORTED, "pool is at version " + pool.getVersion());
    assertStatus(() -> api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(pool.getId()).setExpectedVersion(99).build()), Status.Code.ABORTED, "not 99");
    assertStatus(() -> api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder()
        .setId(lb.getId()).setCascade(true).setExpectedVersion(1).build()), Status.Code.ABORTED, "not 1");
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setId(pool.getId()).setExpectedVersion(pool.getVersion()).setPool(PoolSpec.newBuilder().setName("q")).build());
  }

  @Test
  void fiftyConcurrentUpdatesAreAllAppliedNoneRefused() {
    var api = freshProject();
    LoadBalancer lb = api.createLb("busy");
    var updates = new ArrayList<CompletableFuture<LoadBalancer>>();
    for (int i = 0; i < 50; i++) {
      updates.add(api.callAsync(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
          .setId(lb.getId()).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("update " + i)).build())
          .toCompletableFuture());
    }
    Set<Long> versions = new HashSet<>();
    for (var f : updates) versions.add(TestServer.await(f).getVersion());
    // Every update got its own version: all 50 were applied, one after the other.
    assertThat(versions).hasSize(50);
    assertThat(versions).allMatch(v -> v >= 2 && v <= 51);
    assertThat(api.getLb(lb.getId()).getVersion()).isEqualTo(51);
  }

  @Test
  void malformedIdsAndPagingArgumentsAreInvalid() {
    var api = freshProject();
    assertStatus(() -> api.getLb("not-a-uuid"), Status.Code.INVALID_ARGUMENT, "id: must be a UUID");
    assertStatus(() -> api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
        .setLoadBalancerId("").build()), Status.Code.INVALID_ARGUMENT, "load_balancer_id: is required");
    assertStatus(() -> api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder()
        .setPageSize(-1).build()), Status.Code.INVALID_ARGUMENT, "page_size");
    assertStatus(() -> api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder()
        .setPageToken("garbage").build()), Status.Code.INVALID_ARGUMENT, "page_token");
    var badTenant = server.as("Bad Org!", "p");
    assertStatus(() -> badTenant.createLb("x"), Status.Code.INVALID_ARGUMENT, "x-fiberlb-org");
  }

  @Test
  void listPagesThroughLoadBalancersInCreationOrder() {
    var api = freshProject();
    var ids = new ArrayList<String>();
    for (int i = 0; i < 4; i++) ids.add(api.createLb("n" + i).getId());
    var seen = new ArrayList<String>();
    String token = "";
    do {
      var page = api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder().setPageSize(3)
          .setPageToken(token).build());
      page.getLoadBalancersList().forEach(l -> seen.add(l.getId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(seen).containsExactlyElementsOf(ids);
  }

  static com.google.protobuf.Duration dur(long ms) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  @Test
  void clusterMembersCountTheLoadBalancersOfEachNode() {
    var api = server.as("members");
    api.createLb("m1");
    api.createLb("m2");
    var members = Poll.until("ListMembers to count this project's load balancers", java.time.Duration.ofSeconds(20),
        () -> api.call(api.cluster().listMembers(), io.fiberlb.api.v1.ListMembersRequest.getDefaultInstance()),
        r -> r.getMembers(0).getLoadBalancers() >= 2);
    assertThat(members.getMembersList()).hasSize(1);
    assertThat(members.getMembers(0).getStatus()).isEqualTo("Up");
    assertThat(members.getMembers(0).getRolesList()).containsExactly("controlplane", "dataplane");
    assertThat(members.getMembers(0).getLeader()).isTrue();
  }
}
