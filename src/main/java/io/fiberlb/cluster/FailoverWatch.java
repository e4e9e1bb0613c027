package io.fiberlb.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Tells whether a load balancer is failing over: its node stopped answering (the failure detector marked it
 * unreachable) or left the cluster in the last 15 s, and no reachable data-plane node runs its shard. A write to it
 * would wait in the shard region until a survivor recovers the shard, or be sent to the old home and lost there,
 * and time out; the API answers such a write at once with UNAVAILABLE "failing over, retry" instead
 * ({@code ControlPlaneGateway}). While every member is reachable and none left lately this costs nothing: a look
 * at the cluster state.
 */
public final class FailoverWatch {
  private static final Duration ASK = Duration.ofSeconds(1);
  private static final long FRESH_NANOS = Duration.ofMillis(500).toNanos();
  /**
   * How long a removed data-plane member still counts: until its shards run elsewhere, a shard region (or proxy)
   * that still knows the old home can send a write there, where it is lost and waits for the ask timeout.
   */
  private static final long REMOVED_NANOS = Duration.ofSeconds(15).toNanos();

  private final Cluster cluster;
  private final LoadBalancerShards shards;
  /** Writes in flight, told when a data-plane member becomes unreachable. */
  private final Set<Consumer<Address>> inFlight = ConcurrentHashMap.newKeySet();
  /** Data-plane members removed lately, with when (System.nanoTime). */
  private final Map<Address, Long> removed = new ConcurrentHashMap<>();
  private volatile Live live;

  /** The shards that reachable data-plane nodes said they run, for one set of unreachable members. */
  private record Live(Set<Address> unreachable, CompletionStage<Set<String>> shards, long since) {}

  public FailoverWatch(ActorSystem<?> system) {
    this.cluster = Cluster.get(system.classicSystem());
    this.shards = new LoadBalancerShards(system);
    ((ExtendedActorSystem) system.classicSystem()).systemActorOf(
        Props.create(Watcher.class, () -> new Watcher(this)), "fiberlb-failover-watch");
  }

  /**
   * Why a write to this load balancer would not be served now (its node is unreachable and no reachable node runs
   * it), or null.
   */
  public CompletionStage<String> failingOver(String entityId) {
    return failingOver(entityId, Set.of());
  }

  /**
   * As {@link #failingOver(String)}, counting {@code alsoUnreachable} as unreachable too: the node an event has just
   * said so of, which the cluster's state view may not show yet (it is updated by a subscriber of its own).
   */
  public CompletionStage<String> failingOver(String entityId, Set<Address> alsoUnreachable) {
    Set<Address> unreachable = new HashSet<>(unreachableDataPlane());
    unreachable.addAll(alsoUnreachable);
    if (unreachable.isEmpty()) return CompletableFuture.completedFuture(null);
    String shard = shards.shardOf(entityId);
    return liveShards(unreachable).thenApply(running -> running.contains(shard) ? null
        : "load balancer " + entityId + " is failing over: its node (" + describe(unreachable)
            + ") stopped answering or left, and it starts on another node within seconds");
  }

  /**
   * Calls {@code onUnreachable} with its address if a data-plane member becomes unreachable before {@code done}
   * completes: a write in flight to it may be lost with it. Nothing is kept once {@code done} completes.
   */
  public void watch(CompletionStage<?> done, Consumer<Address> onUnreachable) {
    inFlight.add(onUnreachable);
    done.whenComplete((r, e) -> inFlight.remove(onUnreachable));
  }

  /** Unreachable data-plane members, and those removed in the last {@link #REMOVED_NANOS}. */
  private Set<Address> unreachableDataPlane() {
    var state = cluster.state();
    if (state.getUnreachable().isEmpty() && removed.isEmpty()) return Set.of();
    Set<Address> out = new HashSet<>();
    for (Member m : state.getUnreachable()) if (m.hasRole(ClusterFormation.DATAPLANE)) out.add(m.address());
    long now = System.nanoTime();
    removed.values().removeIf(at -> now - at > REMOVED_NANOS);
    Set<Address> upAgain = new HashSet<>(); // a node restarted on the same address and Up again is live
    for (Member m : state.getMembers()) if (m.status() == MemberStatus.up()) upAgain.add(m.address());
    for (Address a : removed.keySet()) if (!upAgain.contains(a)) out.add(a);
    return out;
  }

  private CompletionStage<Set<String>> liveShards(Set<Address> unreachable) {
    Live l = live;
    if (l != null && l.unreachable.equals(unreachable) && System.nanoTime() - l.since < FRESH_NANOS) return l.shards;
    List<CompletableFuture<Set<String>>> answers = new ArrayList<>();
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole(ClusterFormation.DATAPLANE)
          && !unreachable.contains(m.address())) {
        answers.add(shardsOn(m.address()));
      }
    }
    CompletionStage<Set<String>> all = CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(done -> {
          Set<String> out = new HashSet<>();
          answers.forEach(a -> out.addAll(a.join()));
          return out;
        });
    live = new Live(unreachable, all, System.nanoTime());
    return all;
  }

  /** The shards a node's region runs; none when it does not answer within a second. */
  private CompletableFuture<Set<String>> shardsOn(Address node) {
    return shards.runningOn(node, ASK).thenApply(stats -> stats.map(byShard -> byShard.keySet()).orElse(Set.of()));
  }

  private static String describe(Set<Address> nodes) {
    return String.join(", ", nodes.stream().map(Address::toString).sorted().toList());
  }

  /** Tells the writes in flight when a data-plane member becomes unreachable. */
  private static final class Watcher extends AbstractActor {
    private final FailoverWatch watch;

    Watcher(FailoverWatch watch) {
      this.watch = watch;
    }

    @Override
    public void preStart() {
      watch.cluster.subscribe(getSelf(), ClusterEvent.initialStateAsSnapshot(),
          ClusterEvent.UnreachableMember.class, ClusterEvent.MemberRemoved.class);
    }

    @Override
    public void postStop() {
      watch.cluster.unsubscribe(getSelf());
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(ClusterEvent.MemberRemoved.class, r -> {
            if (r.member().hasRole(ClusterFormation.DATAPLANE)) watch.removed.put(r.member().address(), System.nanoTime());
          })
          .match(ClusterEvent.UnreachableMember.class, u -> {
            if (!u.member().hasRole(ClusterFormation.DATAPLANE)) return;
            for (Consumer<Address> c : List.copyOf(watch.inFlight)) c.accept(u.member().address());
          })
          .matchAny(other -> { })
          .build();
    }
  }
}
