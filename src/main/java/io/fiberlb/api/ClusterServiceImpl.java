package io.fiberlb.api;

import io.fiberlb.api.v1.ClusterMember;
import io.fiberlb.api.v1.ClusterServicePowerApi;
import io.fiberlb.api.v1.FailoverLoadBalancerRequest;
import io.fiberlb.api.v1.FailoverLoadBalancerResponse;
import io.fiberlb.api.v1.ListMembersRequest;
import io.fiberlb.api.v1.ListMembersResponse;
import io.fiberlb.cluster.ClusterFormation;
import io.fiberlb.cluster.LoadBalancerShards;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * ClusterService: the members as this node sees them, and how many load balancers each runs, asked of each data
 * plane node's shard region directly (so a control-plane-only node, which has only a proxy, can answer too); and
 * the failover of a load balancer to another node ({@link LoadBalancerFailover}). The admin role only (ApiGuard).
 */
public final class ClusterServiceImpl implements ClusterServicePowerApi {
  private static final Duration STATS_TIMEOUT = Duration.ofSeconds(3);
  private final ActorSystem<?> system;
  private final ControlPlaneGateway gw;
  private final LoadBalancerShards shards;
  private final LoadBalancerFailover failover;

  public ClusterServiceImpl(ActorSystem<?> system, ControlPlaneGateway gw) {
    this.system = system;
    this.gw = gw;
    this.shards = new LoadBalancerShards(system);
    this.failover = new LoadBalancerFailover(system, gw, shards);
  }

  @Override
  public CompletionStage<FailoverLoadBalancerResponse> failoverLoadBalancer(FailoverLoadBalancerRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, () -> failover.failover(in, gw.caller(md, "")));
  }

  @Override
  public CompletionStage<ListMembersResponse> listMembers(ListMembersRequest in, Metadata md) {
    return ControlPlaneGateway.guard(in, this::members);
  }

  private CompletionStage<ListMembersResponse> members() {
    var state = Cluster.get(system).state();
    List<Member> members = new ArrayList<>();
    state.getMembers().forEach(members::add);
    List<CompletableFuture<Integer>> counts = new ArrayList<>();
    for (Member m : members) counts.add(loadBalancersOn(shards, m, !state.getUnreachable().contains(m)));
    return CompletableFuture.allOf(counts.toArray(CompletableFuture[]::new)).thenApply(done -> {
      var out = ListMembersResponse.newBuilder().setAnsweredBy(system.address().toString());
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        var b = ClusterMember.newBuilder().setAddress(m.address().toString())
            .setStatus(m.status().toString()).setReachable(!state.getUnreachable().contains(m))
            .setLoadBalancers(counts.get(i).join()).setLeader(m.address().equals(state.getLeader()));
        m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().forEach(b::addRoles);
        out.addMembers(b);
      }
      return out.build();
    });
  }

  /** The entities in that node's LoadBalancer region; 0 for a node without one, -1 when it does not answer. */
  static CompletableFuture<Integer> loadBalancersOn(LoadBalancerShards shards, Member m, boolean reachable) {
    if (!m.hasRole(ClusterFormation.DATAPLANE)) return CompletableFuture.completedFuture(0);
    if (!reachable) return CompletableFuture.completedFuture(-1);
    return shards.runningOn(m.address(), STATS_TIMEOUT).thenApply(stats -> stats
        .map(byShard -> byShard.values().stream().mapToInt(Integer::intValue).sum()).orElse(-1));
  }

}
