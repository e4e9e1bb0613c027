package io.fiberlb.api;

import io.fiberlb.api.v1.FailoverLoadBalancerRequest;
import io.fiberlb.api.v1.FailoverLoadBalancerResponse;
import io.fiberlb.cluster.ClusterFormation;
import io.fiberlb.cluster.LoadBalancerShards;
import io.fiberlb.cluster.ShardPins;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.model.Caller;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.pattern.Patterns;

/**
 * {@code FailoverLoadBalancer}: pins the load balancer's shard to another data-plane node ({@link ShardPins}); the
 * shard coordinator hands the shard off there at its next rebalance (its entities stop with their listeners
 * draining, then start on the new node, remembered), and this answers once the load balancer reports the new node.
 */
final class LoadBalancerFailover {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LoadBalancerFailover.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private final ActorSystem<?> system;
  private final ControlPlaneGateway gw;
  private final LoadBalancerShards shards;
  private final Duration deadline;

  LoadBalancerFailover(ActorSystem<?> system, ControlPlaneGateway gw, LoadBalancerShards shards) {
    this.system = system;
    this.gw = gw;
    this.shards = shards;
    var config = system.settings().config();
    // Long enough for a rebalance round, the handoff and the load balancers' recovery on the new node.
    this.deadline = config.getDuration("pekko.cluster.sharding.rebalance-interval").multipliedBy(2)
        .plus(config.getDuration("fiberlb.grpc.ask-timeout")).plusSeconds(10);
  }

  CompletionStage<FailoverLoadBalancerResponse> failover(FailoverLoadBalancerRequest in, Caller caller) {
    String lbId = ControlPlaneGateway.id("load_balancer_id", in.getLoadBalancerId());
    Address wanted = in.getToNode().isEmpty() ? null : address(in.getToNode(), system.name());
    return nodeOf(lbId, caller).thenCompose(from -> {
      List<Member> candidates = candidates(from);
      if (wanted != null && candidates.stream().noneMatch(m -> m.address().equals(wanted))) {
        throw failed("to_node: " + wanted + " is not an Up, reachable data-plane member other than the node running "
            + "load balancer " + lbId + " (" + from + "); candidates: " + describe(candidates));
      }
      if (candidates.isEmpty()) {
        throw failed("load balancer " + lbId + " runs on " + from + " and no other data-plane member is Up and "
            + "reachable to take it");
      }
      CompletionStage<Address> target = wanted != null ? CompletableFuture.completedFuture(wanted)
          : leastLoaded(candidates);
      String shard = shards.shardOf(lbId);
      return target.thenCompose(to -> ShardPins.get(system).pin(shard, to)
          .thenCompose(done -> {
            log.info("lb failover: shard {} of load balancer {} pinned to {} (it runs on {})", shard, lbId, to, from);
            return awaitOn(lbId, caller, to, System.nanoTime() + deadline.toNanos());
          })
          .thenCompose(done -> entitiesIn(to, shard))
          .thenApply(count -> {
            log.info("lb failover: load balancer {} runs on {} ({} load balancer(s) in shard {})", lbId, to, count,
                shard);
            return count;
          })
          .thenApply(count -> FailoverLoadBalancerResponse.newBuilder().setLoadBalancerId(lbId)
              .setFromNode(from.toString()).setToNode(to.toString()).setShardId(shard)
              .setMovedLoadBalancers(count).build()));
    });
  }

  private static Address address(String text, String systemName) {
    try {
      Address a = AddressFromURIString.parse(text);
      if (a.protocol().equals("pekko") && a.system().equals(systemName) && a.host().isDefined()
          && a.port().isDefined()) {
        return a;
      }
    } catch (Exception e) { // MalformedURLException too, thrown undeclared by the Scala parser
      // refused below
    }
    throw Errors.invalid("to_node: must be a member address as `cluster members` shows it "
        + "(pekko://" + systemName + "@HOST:PORT), got '" + text + "'");
  }

  private CompletionStage<Address> nodeOf(String lbId, Caller caller) {
    return gw.ask(lbId, r -> new LoadBalancerEntity.GetStatus(caller, r),
        reply -> AddressFromURIString.parse(((LoadBalancerEntity.StatusReply) reply).node()));
  }

  private List<Member> candidates(Address from) {
    var state = Cluster.get(system).state();
    List<Member> out = new ArrayList<>();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole(ClusterFormation.DATAPLANE)
          && !state.getUnreachable().contains(m) && !m.address().equals(from)) {
        out.add(m);
      }
    }
    return out;
  }

  private static String describe(List<Member> members) {
    return members.isEmpty() ? "none" : String.join(", ", members.stream().map(m -> m.address().toString()).toList());
  }

  /** The candidate running the fewest load balancers (one that does not answer counts as full). */
  private CompletionStage<Address> leastLoaded(List<Member> candidates) {
    List<CompletableFuture<Integer>> counts = candidates.stream()
        .map(m -> ClusterServiceImpl.loadBalancersOn(shards, m, true)).toList();
    return CompletableFuture.allOf(counts.toArray(CompletableFuture[]::new)).thenApply(done -> {
      int best = 0;
      for (int i = 1; i < candidates.size(); i++) {
        if (load(counts.get(i)) < load(counts.get(best))) best = i;
      }
      return candidates.get(best).address();
    });
  }

  private static int load(CompletableFuture<Integer> count) {
    int n = count.join();
    return n < 0 ? Integer.MAX_VALUE : n;
  }

  /** Completes with Done (never null: Patterns.after drops a null result) once it runs on {@code to}. */
  private CompletionStage<org.apache.pekko.Done> awaitOn(String lbId, Caller caller, Address to, long deadlineNanos) {
    return nodeOf(lbId, caller).handle((node, err) -> err == null && node.equals(to))
        .thenCompose(there -> {
          if (there) return CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
          if (System.nanoTime() > deadlineNanos) {
            throw new GrpcServiceException(Status.DEADLINE_EXCEEDED.withDescription("load balancer " + lbId
                + " was not running on " + to + " after " + deadline.toSeconds() + " s; its shard stays pinned "
                + "there and moves when that node's region takes it (see `cluster members`)"));
          }
          return Patterns.after(POLL, system,
              () -> awaitOn(lbId, caller, to, deadlineNanos));
        });
  }

  /** How many load balancers the shard holds on its new node; -1 when that node does not say in time. */
  private CompletionStage<Integer> entitiesIn(Address node, String shard) {
    return shards.runningOn(node, Duration.ofSeconds(3)).thenApply(stats -> {
      if (stats.isEmpty()) {
        log.warn("lb failover: the shard region on {} did not say how many load balancers it runs", node);
        return -1;
      }
      return stats.get().getOrDefault(shard, 0);
    });
  }

  private static GrpcServiceException failed(String message) {
    return new GrpcServiceException(Status.FAILED_PRECONDITION.withDescription(message));
  }
}
