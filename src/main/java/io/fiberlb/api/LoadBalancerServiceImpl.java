package io.fiberlb.api;

import static io.fiberlb.api.ControlPlaneGateway.guard;
import static io.fiberlb.api.ControlPlaneGateway.id;

import io.fiberlb.api.v1.BackendStatus;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatsRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatusRequest;
import io.fiberlb.api.v1.HealthCheckStatus;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.ListLoadBalancersResponse;
import io.fiberlb.api.v1.ListenerStatus;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerServicePowerApi;
import io.fiberlb.api.v1.LoadBalancerStats;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.PoolStatus;
import io.fiberlb.api.v1.TrafficStats;
import io.fiberlb.api.v1.UpdateLoadBalancerRequest;
import io.fiberlb.controlplane.CreateRules;
import io.fiberlb.controlplane.DryRuns;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerProtocol.LoadBalancerReply;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.port.StatsSnapshot;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;

/** LoadBalancerService: translates wire messages to entity commands and replies back. */
public final class LoadBalancerServiceImpl implements LoadBalancerServicePowerApi {
  private final ControlPlaneGateway gw;

  public LoadBalancerServiceImpl(ControlPlaneGateway gw) {
    this.gw = gw;
  }

  @Override
  public CompletionStage<LoadBalancer> createLoadBalancer(CreateLoadBalancerRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, in.getRequestId());
      var patch = ProtoMapper.patch(in.getLoadBalancer());
      CreateRules.check(patch, gw.vipRange()).ifPresent(r -> {
        throw Errors.toStatus(r);
      });
      String lbId = in.getRequestId().isEmpty() ? UUID.randomUUID().toString()
          : LoadBalancerEntity.idFor(caller.orgId(), caller.projectId(), in.getRequestId());
      String hash = ControlPlaneGateway.requestHash(in);
      boolean dryRun = DryRunAnswers.asked(in);
      return gw.precheckCreate(caller, lbId, patch.name(), patch.vipAddress() == null ? "" : patch.vipAddress())
          .thenComposeAsync(ok -> {
            if (dryRun && !ok.registered()) {
              // Not sent to the entity: starting one is journaled by sharding's remember-entities. The same rules
              // decide (CreateLoadBalancer's own), on the answers the project and the VIP pool just gave.
              var reply = DryRuns.newLoadBalancer(lbId, new LoadBalancerEntity.CreateLoadBalancer(caller, patch, null,
                  hash, true), gw.vipRange(), ok.vip());
              if (reply instanceof LoadBalancerEntity.Rejected r) throw Errors.toStatus(r.rejection());
              return CompletableFuture.completedFuture(DryRunAnswers.answer(reply, LoadBalancerServiceImpl::loadBalancer));
            }
            return gw.ask(lbId, r -> new LoadBalancerEntity.CreateLoadBalancer(caller, patch, r, hash, dryRun),
                reply -> DryRunAnswers.answer(reply, LoadBalancerServiceImpl::loadBalancer));
          }, gw.executor());
    });
  }

  @Override
  public CompletionStage<LoadBalancer> getLoadBalancer(GetLoadBalancerRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      return gw.ask(id("id", in.getId()), r -> new LoadBalancerEntity.GetLoadBalancer(caller, r),
          reply -> ProtoMapper.loadBalancer(((LoadBalancerReply) reply).lb()));
    });
  }

  @Override
  public CompletionStage<ListLoadBalancersResponse> listLoadBalancers(ListLoadBalancersRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      int size = ControlPlaneGateway.pageSize(in.getPageSize());
      String scope = ControlPlaneGateway.listScope(caller, "load_balancers", "");
      long after = ControlPlaneGateway.decodeToken(in.getPageToken(), scope);
      return gw.listProject(caller, after, size).thenComposeAsync(page -> {
        // The directory gives the ids in creation order; each load balancer answers for itself. One deleted
        // between the two steps answers NOT_FOUND and is left out.
        List<CompletableFuture<LoadBalancer>> gets = new ArrayList<>();
        for (String lbId : page.lbIds()) {
          gets.add(gw.ask(lbId, r -> new LoadBalancerEntity.GetLoadBalancer(caller, r),
                  reply -> ProtoMapper.loadBalancer(((LoadBalancerReply) reply).lb()))
              .exceptionally(err -> notFound(err) ? null : rethrow(err))
              .toCompletableFuture());
        }
        return CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new)).thenApply(x -> {
          var out = ListLoadBalancersResponse.newBuilder();
          gets.stream().map(CompletableFuture::join).filter(lb -> lb != null).forEach(out::addLoadBalancers);
          return out.setNextPageToken(ControlPlaneGateway.encodeToken(page.next(), scope)).build();
        });
      }, gw.executor());
    });
  }

  private static LoadBalancer loadBalancer(LoadBalancerEntity.Reply reply) {
    return ProtoMapper.loadBalancer(((LoadBalancerReply) reply).lb());
  }

  private static boolean notFound(Throwable err) {
    Throwable t = err.getCause() != null ? err.getCause() : err;
    return t instanceof GrpcServiceException g && g.status().getCode() == Status.Code.NOT_FOUND;
  }

  private static <T> T rethrow(Throwable err) {
    throw err instanceof RuntimeException r ? r : new RuntimeException(err);
  }

  @Override
  public CompletionStage<LoadBalancer> updateLoadBalancer(UpdateLoadBalancerRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      var patch = ProtoMapper.patch(in.getLoadBalancer());
      Long expected = in.hasExpectedVersion() ? in.getExpectedVersion() : null;
      boolean dryRun = DryRunAnswers.asked(in);
      return gw.ask(id("id", in.getId()),
          r -> new LoadBalancerEntity.UpdateLoadBalancer(caller, patch, expected, r, dryRun),
          reply -> DryRunAnswers.answer(reply, LoadBalancerServiceImpl::loadBalancer));
    });
  }

  @Override
  public CompletionStage<DeleteResponse> deleteLoadBalancer(DeleteLoadBalancerRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      Long expected = in.hasExpectedVersion() ? in.getExpectedVersion() : null;
      boolean dryRun = DryRunAnswers.asked(in);
      return gw.ask(id("id", in.getId()),
          r -> new LoadBalancerEntity.DeleteLoadBalancer(caller, in.getCascade(), expected, r, dryRun),
          reply -> DryRunAnswers.answer(reply, ChildCalls::deleted));
    });
  }

  @Override
  public CompletionStage<LoadBalancerStatus> getLoadBalancerStatus(GetLoadBalancerStatusRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      return gw.ask(id("id", in.getId()), r -> new LoadBalancerEntity.GetStatus(caller, r),
          reply -> statusTree((LoadBalancerEntity.StatusReply) reply));
    });
  }

  @Override
  public CompletionStage<LoadBalancerStats> getLoadBalancerStats(GetLoadBalancerStatsRequest in, Metadata md) {
    return guard(in, () -> {
      Caller caller = gw.caller(md, "");
      String lbId = id("load_balancer_id", in.getLoadBalancerId());
      return gw.ask(lbId, r -> new LoadBalancerEntity.GetStats(caller, r),
          reply -> stats(lbId, ((LoadBalancerEntity.StatsReply) reply).stats()));
    });
  }

  /** Each listener and backend as it is; the load balancer's totals are the sums over its listeners. */
  private static LoadBalancerStats stats(String lbId, StatsSnapshot s) {
    var out = LoadBalancerStats.newBuilder().setLoadBalancerId(lbId).setNode(s.node());
    for (io.fiberlb.port.TrafficStats t : s.listeners()) {
      out.addListeners(traffic(t));
      out.setBytesIn(out.getBytesIn() + t.bytesIn())
          .setBytesOut(out.getBytesOut() + t.bytesOut())
          .setActiveConnections(out.getActiveConnections() + t.activeConnections())
          .setTotalConnections(out.getTotalConnections() + t.totalConnections())
          .setRequestErrors(out.getRequestErrors() + t.requestErrors())
          .setRejectedConnections(out.getRejectedConnections() + t.rejectedConnections())
          .setConnectFailures(out.getConnectFailures() + t.connectFailures());
    }
    s.backends().forEach(t -> out.addBackends(traffic(t)));
    return out.build();
  }

  private static TrafficStats traffic(io.fiberlb.port.TrafficStats t) {
    return TrafficStats.newBuilder().setId(t.id()).setBytesIn(t.bytesIn()).setBytesOut(t.bytesOut())
        .setActiveConnections(t.activeConnections()).setTotalConnections(t.totalConnections())
        .setRequestErrors(t.requestErrors()).setRejectedConnections(t.rejectedConnections())
        .setConnectFailures(t.connectFailures()).build();
  }

  /** Listeners, then pools with their health check and backends, each with both statuses. */
  private static LoadBalancerStatus statusTree(LoadBalancerEntity.StatusReply s) {
    var lb = s.lb();
    var out = LoadBalancerStatus.newBuilder().setId(lb.info().id()).setName(lb.info().name())
        .setVipAddress(lb.info().vipAddress()).setVersion(lb.version())
        .setProvisioningStatus(ProtoMapper.provisioning(lb.provisioning()))
        .setOperatingStatus(ProtoMapper.operating(lb.operating())).setNode(s.node());
    Map<String, ChildView> checks = new HashMap<>();
    Map<String, List<ChildView>> backends = new HashMap<>();
    for (ChildView v : s.children()) {
      if (v.child() instanceof HealthCheck) checks.put(v.child().id(), v);
      if (v.child() instanceof Backend b) backends.computeIfAbsent(b.poolId(), k -> new ArrayList<>()).add(v);
    }
    for (ChildView v : s.children()) {
      if (v.child() instanceof Listener l) {
        out.addListeners(ListenerStatus.newBuilder().setId(l.id()).setName(l.name()).setProtocolPort(l.protocolPort())
            .setDefaultPoolId(l.defaultPoolId()).setProvisioningStatus(ProtoMapper.provisioning(v.provisioning()))
            .setOperatingStatus(ProtoMapper.operating(v.operating())).setOperatingStatusReason(v.reason()));
      } else if (v.child() instanceof Pool p) {
        var pool = PoolStatus.newBuilder().setId(p.id()).setName(p.name())
            .setProvisioningStatus(ProtoMapper.provisioning(v.provisioning()))
            .setOperatingStatus(ProtoMapper.operating(v.operating())).setOperatingStatusReason(v.reason());
        ChildView hv = checks.get(p.healthCheckId());
        if (hv != null) {
          HealthCheck h = (HealthCheck) hv.child();
          pool.setHealthCheck(HealthCheckStatus.newBuilder().setId(h.id()).setName(h.name())
              .setType(io.fiberlb.api.v1.HealthCheck.Type.valueOf(h.type().name()))
              .setProvisioningStatus(ProtoMapper.provisioning(hv.provisioning()))
              .setOperatingStatus(ProtoMapper.operating(hv.operating())));
        }
        for (ChildView bv : backends.getOrDefault(p.id(), List.of())) {
          Backend b = (Backend) bv.child();
          pool.addBackends(BackendStatus.newBuilder().setId(b.id()).setName(b.name()).setAddress(b.address())
              .setProtocolPort(b.protocolPort()).setProvisioningStatus(ProtoMapper.provisioning(bv.provisioning()))
              .setOperatingStatus(ProtoMapper.operating(bv.operating())).setOperatingStatusReason(bv.reason()));
        }
        out.addPools(pool);
      }
    }
    return out.build();
  }
}
