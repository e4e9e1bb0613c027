package io.fiberlb.cluster;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.pattern.Patterns;

/**
 * Where an operator asked a shard of load balancers to run ({@code lb failover}): shard id -> node address, kept in
 * a replicated map (Distributed Data, in memory on every node) that {@link PinnedShardAllocation} reads. A pin is a
 * placement wish, not configuration: it is dropped when its node leaves the cluster (so a node that comes back
 * does not pull its old shards back), and forgotten when the whole cluster stops.
 */
public final class ShardPins implements Extension {
  static final org.apache.pekko.cluster.ddata.Key<LWWMap<String, String>> KEY =
      LWWMapKey.create("fiberlb-load-balancer-shard-pins");
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(3);

  public static final ExtensionId<ShardPins> ID = new Id();

  private static final class Id extends ExtensionId<ShardPins> {
    @Override
    public ShardPins createExtension(ActorSystem<?> system) {
      return new ShardPins(system);
    }
  }

  public static ShardPins get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final ActorRef replicator;
  private final SelfUniqueAddress self;
  private volatile Map<String, Address> pins = Map.of();

  private ShardPins(ActorSystem<?> system) {
    var classic = system.classicSystem();
    this.replicator = DistributedData.get(classic).replicator();
    this.self = DistributedData.get(classic).selfUniqueAddress();
    ((org.apache.pekko.actor.ExtendedActorSystem) classic).systemActorOf(
        Props.create(Watcher.class, () -> new Watcher(this)), "fiberlb-shard-pins");
  }

  /** The pins as this node knows them now (eventually the same on every node). */
  public Map<String, Address> current() {
    return pins;
  }

  /** Pins a shard to a node; completes once a majority of the nodes hold the pin. */
  public CompletionStage<Done> pin(String shardId, Address node) {
    var update = new Replicator.Update<LWWMap<String, String>>(KEY, LWWMap.create(),
        new Replicator.WriteMajority(WRITE_TIMEOUT), m -> m.put(self, shardId, node.toString()));
    return Patterns.ask(replicator, update, WRITE_TIMEOUT.plusSeconds(1)).thenApply(reply -> {
      if (reply instanceof Replicator.UpdateSuccess<?>) return Done.getInstance();
      throw new IllegalStateException("the pin of shard " + shardId + " did not reach a majority of the nodes in "
          + WRITE_TIMEOUT.toSeconds() + " s: " + reply.getClass().getSimpleName());
    });
  }

  private void unpinAll(Address node) {
    var update = new Replicator.Update<LWWMap<String, String>>(KEY, LWWMap.create(), Replicator.writeLocal(), m -> {
      LWWMap<String, String> out = m;
      for (var e : m.getEntries().entrySet()) {
        if (e.getValue().equals(node.toString())) out = out.remove(self, e.getKey());
      }
      return out;
    });
    replicator.tell(update, ActorRef.noSender());
  }

  /** Keeps {@link #pins} current, and drops the pins of a node that left. */
  private static final class Watcher extends AbstractActor {
    private final ShardPins pins;

    Watcher(ShardPins pins) {
      this.pins = pins;
    }

    @Override
    public void preStart() {
      pins.replicator.tell(new Replicator.Subscribe<>(KEY, getSelf()), getSelf());
      Cluster.get(getContext().getSystem()).subscribe(getSelf(), ClusterEvent.initialStateAsEvents(),
          ClusterEvent.MemberRemoved.class);
    }

    @Override
    public void postStop() {
      Cluster.get(getContext().getSystem()).unsubscribe(getSelf());
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(Replicator.Changed.class, c -> {
            @SuppressWarnings("unchecked")
            Map<String, String> entries = ((LWWMap<String, String>) c.dataValue()).getEntries();
            var next = new java.util.HashMap<String, Address>();
            entries.forEach((shard, node) -> next.put(shard, AddressFromURIString.parse(node)));
            pins.pins = Map.copyOf(next);
          })
          .match(ClusterEvent.MemberRemoved.class, r -> {
            Address gone = r.member().address();
            if (pins.pins.containsValue(gone)) pins.unpinAll(gone);
          })
          .matchAny(other -> { })
          .build();
    }
  }
}
