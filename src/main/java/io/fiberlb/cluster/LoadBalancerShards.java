package io.fiberlb.cluster;

import io.fiberlb.controlplane.LoadBalancerEntity;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;
import org.apache.pekko.pattern.Patterns;

/**
 * Where load balancers run, as sharding places them: the shard of a load balancer (sharding's own hash of its id)
 * and what a node's shard region runs (asked of that region directly, so a control-plane-only node, which has only
 * a proxy, can ask too). Used by cluster members, lb failover and the failover watch.
 */
public final class LoadBalancerShards {
  private final ActorSystem<?> system;
  private final HashCodeMessageExtractor<Object> extractor;

  public LoadBalancerShards(ActorSystem<?> system) {
    this.system = system;
    this.extractor = new HashCodeMessageExtractor<>(
        system.settings().config().getInt("pekko.cluster.sharding.number-of-shards"));
  }

  /** The shard a load balancer belongs to. */
  public String shardOf(String lbId) {
    return extractor.shardId(lbId);
  }

  /** Shard id -> how many load balancers run in it on {@code node}; empty when it does not answer in time. */
  public CompletableFuture<Optional<Map<String, Integer>>> runningOn(Address node, Duration timeout) {
    var region = system.classicSystem().actorSelection(
        node + "/system/sharding/" + LoadBalancerEntity.TYPE_KEY.name());
    return Patterns.ask(region, ShardRegion.getRegionStatsInstance(), timeout).toCompletableFuture()
        .handle((reply, err) -> {
          if (!(reply instanceof ShardRegion.ShardRegionStats s)) return Optional.empty();
          Map<String, Integer> out = new java.util.HashMap<>();
          s.getStats().forEach((shard, n) -> out.put(shard, ((Number) n).intValue()));
          return Optional.of(Map.copyOf(out));
        });
  }
}
