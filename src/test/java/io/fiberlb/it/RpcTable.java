package io.fiberlb.it;

import io.fiberlb.api.v1.*;
import io.fiberlb.it.TestServer.Api;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Every RPC of the API once, as a call against a fixture of resources: the one table the role matrix and the
 * cross-tenant test are generated from. A delete removes a resource made for it, so that every row can be called
 * again and again.
 */
final class RpcTable {
  private RpcTable() {}

  /** ADMIN: the cluster's own views (ClusterService) and quota changes, for the admin role only. */
  enum Kind { READ, WRITE, ADMIN }

  interface Call {
    CompletionStage<?> run(Api api, Fixture f);
  }

  /**
   * @param projectWide the call names no resource (create a load balancer, list or export a project): another
   *     project's caller cannot be pointed at project B's resources with it
   */
  record Rpc(String name, Kind kind, boolean projectWide, Call call) {}

  /** A load balancer with one child of each kind, made by {@code owner}, and fresh victims for deletes. */
  static final class Fixture {
    private static final AtomicInteger ports = new AtomicInteger(20000);
    private static final AtomicInteger names = new AtomicInteger();
    final Api owner;
    final String lb;
    final String pool;
    final String listener;
    final String backend;
    final String hc;
    final String certificate;
    final String httpListener;
    final String policy;
    final String rule;

    Fixture(Api owner) {
      this.owner = owner;
      this.lb = owner.createLb(name("fixture")).getId();
      this.pool = owner.createPool(lb, name("pool")).getId();
      this.listener = owner.createListener(lb, ports.incrementAndGet(), null).getId();
      this.backend = owner.createBackend(lb, pool, "10.0.0.5", 8080).getId();
      this.hc = owner.createHealthCheck(lb).getId();
      this.certificate = freshCertificate();
      this.httpListener = owner.createHttpListener(lb, ports.incrementAndGet(), null).getId();
      this.policy = freshPolicy();
      this.rule = freshRule();
    }

    String freshPolicy() {
      return owner.createL7Policy(lb, httpListener, L7PolicySpec.newBuilder().setAction(L7Policy.Action.REJECT)).getId();
    }

    String freshRule() {
      return owner.createL7Rule(lb, policy, L7RuleSpec.newBuilder().setType(L7Rule.Type.PATH)
          .setCompareType(L7Rule.CompareType.STARTS_WITH).setValue("/api")).getId();
    }

    /** A certificate of the owner's project (ECDSA P-256, made for the call). */
    String freshCertificate() {
      return owner.call(owner.certificates().createCertificate(), createCertificate(name("cert"))).getId();
    }

    static CreateCertificateRequest createCertificate(String name) {
      CertKit.Made leaf = CertKit.leaf(CA, CertKit.Alg.EC, "www.example.com");
      return CreateCertificateRequest.newBuilder().setName(name)
          .setCertificatePem(com.google.protobuf.ByteString.copyFromUtf8(leaf.certPem()))
          .setPrivateKeyPem(com.google.protobuf.ByteString.copyFromUtf8(leaf.keyPem())).build();
    }

    private static final CertKit.Made CA = CertKit.ca("RpcTable CA");

    static String name(String prefix) {
      return prefix + "-" + names.incrementAndGet();
    }

    String freshLb() {
      return owner.createLb(name("victim")).getId();
    }

    /** A load balancer of the owner's, deleted and cleaned up (its VIP and name given back): one to restore. */
    String freshDeletedLb() {
      String id = freshLb();
      owner.call(owner.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(id).build());
      return id;
    }

    String freshListener() {
      return owner.createListener(lb, ports.incrementAndGet(), null).getId();
    }

    String freshPool() {
      return owner.createPool(lb, name("victim")).getId();
    }

    String freshBackend() {
      return owner.createBackend(lb, pool, "10.0.0.6", ports.incrementAndGet()).getId();
    }

    String freshHealthCheck() {
      return owner.createHealthCheck(lb).getId();
    }
  }

  private static Rpc read(String name, Call call) {
    return new Rpc(name, Kind.READ, false, call);
  }

  private static Rpc write(String name, Call call) {
    return new Rpc(name, Kind.WRITE, false, call);
  }

  private static CompletionStage<?> drain(Api api, org.apache.pekko.stream.javadsl.Source<?, ?> source) {
    return source.runWith(Sink.seq(), api.system());
  }

  static final List<Rpc> ALL = List.of(
      new Rpc("LoadBalancerService/CreateLoadBalancer", Kind.WRITE, true, (a, f) -> a.callAsync(a.lbs().createLoadBalancer(),
          CreateLoadBalancerRequest.newBuilder().setLoadBalancer(LoadBalancerSpec.newBuilder().setName(Fixture.name("new"))).build())),
      read("LoadBalancerService/GetLoadBalancer", (a, f) -> a.callAsync(a.lbs().getLoadBalancer(),
          GetLoadBalancerRequest.newBuilder().setId(f.lb).build())),
      new Rpc("LoadBalancerService/ListLoadBalancers", Kind.READ, true, (a, f) -> a.callAsync(a.lbs().listLoadBalancers(),
          ListLoadBalancersRequest.getDefaultInstance())),
      write("LoadBalancerService/UpdateLoadBalancer", (a, f) -> a.callAsync(a.lbs().updateLoadBalancer(),
          UpdateLoadBalancerRequest.newBuilder().setId(f.lb)
              .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("changed")).build())),
      write("LoadBalancerService/DeleteLoadBalancer", (a, f) -> a.callAsync(a.lbs().deleteLoadBalancer(),
          DeleteLoadBalancerRequest.newBuilder().setId(f.freshLb()).build())),
      read("LoadBalancerService/GetLoadBalancerStatus", (a, f) -> a.callAsync(a.lbs().getLoadBalancerStatus(),
          GetLoadBalancerStatusRequest.newBuilder().setId(f.lb).build())),
      read("LoadBalancerService/GetLoadBalancerStats", (a, f) -> a.callAsync(a.lbs().getLoadBalancerStats(),
          GetLoadBalancerStatsRequest.newBuilder().setLoadBalancerId(f.lb).build())),

      write("ListenerService/CreateListener", (a, f) -> a.callAsync(a.listeners().createListener(),
          CreateListenerRequest.newBuilder().setLoadBalancerId(f.lb).setListener(ListenerSpec.newBuilder()
              .setProtocol(Protocol.TCP).setProtocolPort(Fixture.ports.incrementAndGet())).build())),
      read("ListenerService/GetListener", (a, f) -> a.callAsync(a.listeners().getListener(),
          GetListenerRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.listener).build())),
      read("ListenerService/ListListeners", (a, f) -> a.callAsync(a.listeners().listListeners(),
          ListListenersRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      write("ListenerService/UpdateListener", (a, f) -> a.callAsync(a.listeners().updateListener(),
          UpdateListenerRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.listener)
              .setListener(ListenerSpec.newBuilder().setDescription("changed")).build())),
      write("ListenerService/DeleteListener", (a, f) -> a.callAsync(a.listeners().deleteListener(),
          DeleteListenerRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshListener()).build())),

      write("PoolService/CreatePool", (a, f) -> a.callAsync(a.pools().createPool(),
          CreatePoolRequest.newBuilder().setLoadBalancerId(f.lb)
              .setPool(PoolSpec.newBuilder().setName(Fixture.name("p")).setProtocol(Protocol.TCP)).build())),
      read("PoolService/GetPool", (a, f) -> a.callAsync(a.pools().getPool(),
          GetPoolRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.pool).build())),
      read("PoolService/ListPools", (a, f) -> a.callAsync(a.pools().listPools(),
          ListPoolsRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      write("PoolService/UpdatePool", (a, f) -> a.callAsync(a.pools().updatePool(),
          UpdatePoolRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.pool)
              .setPool(PoolSpec.newBuilder().setDescription("changed")).build())),
      write("PoolService/DeletePool", (a, f) -> a.callAsync(a.pools().deletePool(),
          DeletePoolRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshPool()).build())),

      write("BackendService/CreateBackend", (a, f) -> a.callAsync(a.backends().createBackend(),
          CreateBackendRequest.newBuilder().setLoadBalancerId(f.lb).setPoolId(f.pool)
              .setBackend(BackendSpec.newBuilder().setAddress("10.0.0.7").setProtocolPort(Fixture.ports.incrementAndGet())).build())),
      read("BackendService/GetBackend", (a, f) -> a.callAsync(a.backends().getBackend(),
          GetBackendRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.backend).build())),
      read("BackendService/ListBackends", (a, f) -> a.callAsync(a.backends().listBackends(),
          ListBackendsRequest.newBuilder().setLoadBalancerId(f.lb).setPoolId(f.pool).build())),
      write("BackendService/UpdateBackend", (a, f) -> a.callAsync(a.backends().updateBackend(),
          UpdateBackendRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.backend)
              .setBackend(BackendSpec.newBuilder().setName("changed")).build())),
      write("BackendService/DeleteBackend", (a, f) -> a.callAsync(a.backends().deleteBackend(),
          DeleteBackendRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshBackend()).build())),

      write("HealthCheckService/CreateHealthCheck", (a, f) -> a.callAsync(a.healthChecks().createHealthCheck(),
          CreateHealthCheckRequest.newBuilder().setLoadBalancerId(f.lb)
              .setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TCP)).build())),
      read("HealthCheckService/GetHealthCheck", (a, f) -> a.callAsync(a.healthChecks().getHealthCheck(),
          GetHealthCheckRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.hc).build())),
      read("HealthCheckService/ListHealthChecks", (a, f) -> a.callAsync(a.healthChecks().listHealthChecks(),
          ListHealthChecksRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      write("HealthCheckService/UpdateHealthCheck", (a, f) -> a.callAsync(a.healthChecks().updateHealthCheck(),
          UpdateHealthCheckRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.hc)
              .setHealthCheck(HealthCheckSpec.newBuilder().setName("changed")).build())),
      write("HealthCheckService/DeleteHealthCheck", (a, f) -> a.callAsync(a.healthChecks().deleteHealthCheck(),
          DeleteHealthCheckRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshHealthCheck()).build())),

      write("L7PolicyService/CreateL7Policy", (a, f) -> a.callAsync(a.l7policies().createL7Policy(),
          CreateL7PolicyRequest.newBuilder().setLoadBalancerId(f.lb).setListenerId(f.httpListener)
              .setL7Policy(L7PolicySpec.newBuilder().setAction(L7Policy.Action.REJECT)).build())),
      read("L7PolicyService/GetL7Policy", (a, f) -> a.callAsync(a.l7policies().getL7Policy(),
          GetL7PolicyRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.policy).build())),
      read("L7PolicyService/ListL7Policies", (a, f) -> a.callAsync(a.l7policies().listL7Policies(),
          ListL7PoliciesRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      write("L7PolicyService/UpdateL7Policy", (a, f) -> a.callAsync(a.l7policies().updateL7Policy(),
          UpdateL7PolicyRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.policy)
              .setL7Policy(L7PolicySpec.newBuilder().setName("changed")).build())),
      write("L7PolicyService/DeleteL7Policy", (a, f) -> a.callAsync(a.l7policies().deleteL7Policy(),
          DeleteL7PolicyRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshPolicy()).build())),

      write("L7RuleService/CreateL7Rule", (a, f) -> a.callAsync(a.l7rules().createL7Rule(),
          CreateL7RuleRequest.newBuilder().setLoadBalancerId(f.lb).setL7PolicyId(f.policy)
              .setL7Rule(L7RuleSpec.newBuilder().setType(L7Rule.Type.HOST_NAME)
                  .setCompareType(L7Rule.CompareType.EQUAL_TO).setValue("api.example.com")).build())),
      read("L7RuleService/GetL7Rule", (a, f) -> a.callAsync(a.l7rules().getL7Rule(),
          GetL7RuleRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.rule).build())),
      read("L7RuleService/ListL7Rules", (a, f) -> a.callAsync(a.l7rules().listL7Rules(),
          ListL7RulesRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      write("L7RuleService/UpdateL7Rule", (a, f) -> a.callAsync(a.l7rules().updateL7Rule(),
          UpdateL7RuleRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.rule)
              .setL7Rule(L7RuleSpec.newBuilder().setInvert(true)).build())),
      write("L7RuleService/DeleteL7Rule", (a, f) -> a.callAsync(a.l7rules().deleteL7Rule(),
          DeleteL7RuleRequest.newBuilder().setLoadBalancerId(f.lb).setId(f.freshRule()).build())),

      read("AuditService/ListEvents", (a, f) -> a.callAsync(a.audit().listEvents(),
          ListEventsRequest.newBuilder().setLoadBalancerId(f.lb).build())),
      read("AuditService/StreamEvents", (a, f) -> drain(a, a.stream(a.audit().streamEvents(),
          StreamEventsRequest.newBuilder().setLoadBalancerId(f.lb).build()))),
      read("AuditService/GetLoadBalancerAt", (a, f) -> a.callAsync(a.audit().getLoadBalancerAt(),
          GetLoadBalancerAtRequest.newBuilder().setId(f.lb).build())),
      read("AuditService/DiffLoadBalancer", (a, f) -> a.callAsync(a.audit().diffLoadBalancer(),
          DiffLoadBalancerRequest.newBuilder().setId(f.lb)
              .setFrom(PointInTime.newBuilder().setVersion(1)).build())),
      new Rpc("AuditService/ExportEvents", Kind.READ, true, (a, f) -> drain(a, a.stream(a.audit().exportEvents(),
          ExportEventsRequest.getDefaultInstance()))),
      // A fresh load balancer at version 1 rolled back to version 1: a write that has nothing to change.
      write("HistoryService/RollbackLoadBalancer", (a, f) -> a.callAsync(a.history().rollbackLoadBalancer(),
          io.fiberlb.api.v1.RollbackLoadBalancerRequest.newBuilder().setLoadBalancerId(f.freshLb()).setToVersion(1)
              .build())),
      write("HistoryService/RestoreLoadBalancer", (a, f) -> a.callAsync(a.history().restoreLoadBalancer(),
          io.fiberlb.api.v1.RestoreLoadBalancerRequest.newBuilder().setId(f.freshDeletedLb()).build())),
      new Rpc("ClusterService/ListMembers", Kind.ADMIN, true, (a, f) -> a.callAsync(a.cluster().listMembers(),
          ListMembersRequest.getDefaultInstance())),
      // On this one-node server there is no node to move to: the precise refusal, past the guard, counts as allowed
      // (ClusterProcessTest moves load balancers between real nodes).
      new Rpc("ClusterService/FailoverLoadBalancer", Kind.ADMIN, true, (a, f) -> a.callAsync(
          a.cluster().failoverLoadBalancer(), FailoverLoadBalancerRequest.newBuilder().setLoadBalancerId(f.lb).build())
          .handle((ok, err) -> {
            if (err == null) return ok;
            var status = TestServer.statusOf(err);
            if (status.getCode() == io.grpc.Status.Code.FAILED_PRECONDITION
                && status.getDescription().contains("no other data-plane member")) {
              return FailoverLoadBalancerResponse.getDefaultInstance();
            }
            throw err instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(err);
          })),
      new Rpc("CertificateService/CreateCertificate", Kind.WRITE, true, (a, f) -> a.callAsync(
          a.certificates().createCertificate(), Fixture.createCertificate(Fixture.name("cert")))),
      read("CertificateService/GetCertificate", (a, f) -> a.callAsync(a.certificates().getCertificate(),
          GetCertificateRequest.newBuilder().setId(f.certificate).build())),
      new Rpc("CertificateService/ListCertificates", Kind.READ, true, (a, f) -> a.callAsync(
          a.certificates().listCertificates(), ListCertificatesRequest.getDefaultInstance())),
      write("CertificateService/UpdateCertificate", (a, f) -> a.callAsync(a.certificates().updateCertificate(),
          UpdateCertificateRequest.newBuilder().setId(f.certificate).setDescription("changed").build())),
      write("CertificateService/DeleteCertificate", (a, f) -> a.callAsync(a.certificates().deleteCertificate(),
          DeleteCertificateRequest.newBuilder().setId(f.freshCertificate()).build())),
      new Rpc("QuotaService/GetQuota", Kind.READ, true, (a, f) -> a.callAsync(a.quotas().getQuota(),
          GetQuotaRequest.getDefaultInstance())),
      new Rpc("QuotaService/ListQuotaChanges", Kind.READ, true, (a, f) -> a.callAsync(a.quotas().listQuotaChanges(),
          ListQuotaChangesRequest.getDefaultInstance())),
      // Unlimited health checks: a change the other rows never run into.
      new Rpc("QuotaService/SetQuota", Kind.ADMIN, true, (a, f) -> a.callAsync(a.quotas().setQuota(),
          SetQuotaRequest.newBuilder().setQuota(QuotaSpec.newBuilder().setHealthChecks(-1)).build())),
      new Rpc("QuotaService/ResetQuota", Kind.ADMIN, true, (a, f) -> a.callAsync(a.quotas().resetQuota(),
          ResetQuotaRequest.getDefaultInstance())));
}
