package io.fiberlb.cluster;

import io.fiberlb.port.ServingQuorum;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Decides whether this node may serve VIPs: it must be Up, and it must see a majority of {@code fiberlb.cluster.size}
 * nodes Up and reachable (itself included). A node cut off from the majority stops serving as soon as its failure
 * detector says so, before the majority's split brain resolver downs it and starts its load balancers elsewhere:
 * so the two sides never serve one VIP at once, even with a short down-removal-margin (docs/architecture.md,
 * "Cluster"). With a size of 1 there is nothing to watch.
 */
public final class QuorumWatch {
  private QuorumWatch() {}

  public static void start(ActorSystem<?> system, int size, Consumer<ServingQuorum> gate) {
    if (size <= 1) return;
    system.systemActorOf(behavior(size, gate), "fiberlb-quorum-watch",
        org.apache.pekko.actor.typed.Props.empty());
  }

  /** Cluster events, and a tick: the cluster's state view may be updated just after an event is delivered. */
  static Behavior<Object> behavior(int size, Consumer<ServingQuorum> gate) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.<ClusterEvent.ClusterDomainEvent>messageAdapter(ClusterEvent.ClusterDomainEvent.class, e -> e),
          ClusterEvent.ClusterDomainEvent.class));
      timers.startTimerWithFixedDelay("tick", "tick", java.time.Duration.ofMillis(250));
      gate.accept(decide(cluster, size));
      return Behaviors.receiveMessage(event -> {
        gate.accept(decide(cluster, size));
        return Behaviors.same();
      });
    }));
  }

  static ServingQuorum decide(Cluster cluster, int size) {
    int majority = size / 2 + 1;
    Member self = cluster.selfMember();
    if (self.status() != MemberStatus.up()) {
      return new ServingQuorum(false, "not serving: this node is " + self.status().toString().toLowerCase(java.util.Locale.ROOT)
          + ", not an Up member of the cluster");
    }
    var state = cluster.state();
    int up = 0;
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && !state.getUnreachable().contains(m)) up++;
    }
    if (up < majority) {
      return new ServingQuorum(false, "not serving: this node reaches " + up + " Up node(s) of " + size
          + " (a majority is " + majority + ")");
    }
    return ServingQuorum.ALWAYS;
  }
}
