package io.fiberlb.cluster;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Where the load balancers' shards run: Pekko's least-shard strategy (new shards on the data-plane node with the
 * fewest; rebalancing in bounded steps toward an even count, never while a member is unreachable or joining),
 * except for shards an operator pinned to a node with {@code lb failover} ({@link ShardPins}): those are allocated
 * to, and rebalanced toward, their pinned node while it has a region, and the least-shard rebalance never moves
 * them away from it.
 */
public final class PinnedShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PinnedShardAllocation.class);
  private final ShardCoordinator.ShardAllocationStrategy leastShards;
  private final boolean rebalance;
  private volatile ShardPins pins;
  private volatile Address self;

  /**
   * @param absoluteLimit, relativeLimit the least-shard strategy's limits of shards moved per rebalance round
   * @param rebalance whether to even the counts out at all ({@code fiberlb.cluster.rebalance}); pinned shards move
   *     to their node either way
   */
  public PinnedShardAllocation(int absoluteLimit, double relativeLimit, boolean rebalance) {
    this.rebalance = rebalance;
    this.leastShards = ShardCoordinator.ShardAllocationStrategy$.MODULE$
        .leastShardAllocationStrategy(absoluteLimit, relativeLimit);
  }

  @Override
  public void start(ActorSystem system) {
    ((ShardCoordinator.ActorSystemDependentAllocationStrategy) leastShards).start(system);
    this.pins = ShardPins.get(Adapter.toTyped(system));
    this.self = org.apache.pekko.cluster.Cluster.get(system).selfAddress();
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      Map<ActorRef, IndexedSeq<String>> current) {
    ActorRef pinned = pinnedRegion(shardId, current);
    if (pinned != null) return Future.successful(pinned);
    return leastShards.allocateShard(requester, shardId, scalaMap(current));
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    Set<String> move = new HashSet<>();
    Set<String> atHome = new HashSet<>();
    for (var e : current.entrySet()) {
      for (String shard : CollectionConverters.asJava(e.getValue())) {
        ActorRef home = pinnedRegion(shard, current);
        if (home == null) continue;
        if (home.equals(e.getKey())) atHome.add(shard);
        else if (!inProgress.contains(shard)) move.add(shard);
      }
    }
    if (!move.isEmpty()) log.info("moving shards {} to the nodes they are pinned to", move);
    if (!rebalance) return Future.successful(move);
    var scalaInProgress = scala.collection.immutable.Set$.MODULE$.<String>from(CollectionConverters.asScala(inProgress));
    return FutureConverters.asScala(FutureConverters.asJava(leastShards.rebalance(scalaMap(current), scalaInProgress))
        .thenApply(chosen -> {
          Set<String> out = new HashSet<>(move);
          for (String shard : CollectionConverters.asJava(chosen)) {
            if (!atHome.contains(shard)) out.add(shard);
          }
          return out;
        }));
  }

  /** The region on the node a shard is pinned to, or null: no pin, or that node has no region (now). */
  private ActorRef pinnedRegion(String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    ShardPins p = pins;
    Address node = p == null ? null : p.current().get(shardId);
    if (node == null) return null;
    for (ActorRef region : current.keySet()) {
      Address at = region.path().address().hasLocalScope() ? self : region.path().address();
      if (node.equals(at)) return region;
    }
    return null;
  }

  private static scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> scalaMap(
      Map<ActorRef, IndexedSeq<String>> current) {
    return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(current));
  }
}
