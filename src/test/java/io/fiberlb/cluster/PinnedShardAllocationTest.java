package io.fiberlb.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.it.Poll;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Await;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The allocation strategy against a real two-node cluster (two actor systems on loopback in this JVM): "regions" are
 * actors on either node, so that the strategy sees the addresses a coordinator sees.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PinnedShardAllocationTest {
  private ActorSystem a;
  private ActorSystem b;
  private ActorRef regionA;
  private ActorRef regionB;
  private PinnedShardAllocation strategy;

  private static Config config() {
    return ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        pekko.cluster.jmx.enabled = off
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.defaultReference());
  }

  @BeforeAll
  void start() {
    a = ActorSystem.create("pins", config());
    b = ActorSystem.create("pins", config());
    Cluster.get(a).join(Cluster.get(a).selfAddress());
    Cluster.get(b).join(Cluster.get(a).selfAddress());
    Poll.until("both nodes Up", Duration.ofSeconds(30), () -> upCount(a) == 2 && upCount(b) == 2, ok -> ok);
    regionA = a.actorOf(org.apache.pekko.actor.Props.empty(), "region");
    ActorRef onB = b.actorOf(org.apache.pekko.actor.Props.empty(), "region");
    // B's actor as node A (the coordinator's node) sees it: a remote ref with B's address.
    regionB = Poll.until("B's region resolved from A", Duration.ofSeconds(10), () -> {
      try {
        return a.actorSelection(onB.path().toStringWithAddress(Cluster.get(b).selfAddress()))
            .resolveOne(Duration.ofSeconds(2)).toCompletableFuture().get();
      } catch (Exception e) {
        return null;
      }
    }, r -> r != null);
    ShardPins.get(Adapter.toTyped(b)); // every FiberLB node runs it (FiberLb.init)
    strategy = new PinnedShardAllocation(10, 0.5, true);
    strategy.start(a);
  }

  private static int upCount(ActorSystem s) {
    int n = 0;
    for (var m : Cluster.get(s).state().getMembers()) if (m.status() == MemberStatus.up()) n++;
    return n;
  }

  @AfterAll
  void stop() throws Exception {
    for (ActorSystem s : List.of(b, a)) {
      s.terminate();
      Await.ready(s.whenTerminated(), scala.concurrent.duration.Duration.create(20, "s"));
    }
  }

  private static IndexedSeq<String> shards(String... ids) {
    return CollectionConverters.asScala(List.of(ids)).toIndexedSeq();
  }

  private Set<String> rebalance(Map<ActorRef, IndexedSeq<String>> current) throws Exception {
    return Await.result(strategy.rebalance(current, Set.of()), scala.concurrent.duration.Duration.create(5, "s"));
  }

  private ActorRef allocate(String shard, Map<ActorRef, IndexedSeq<String>> current) throws Exception {
    return Await.result(strategy.allocateShard(regionA, shard, current),
        scala.concurrent.duration.Duration.create(5, "s"));
  }

  @Test
  void pinnedShardsGoToTheirNodeAndStayThere() throws Exception {
    var current = new HashMap<ActorRef, IndexedSeq<String>>();
    current.put(regionA, shards("1", "2"));
    current.put(regionB, shards("3", "4"));
    // Balanced and unpinned: nothing moves; a new shard goes to the least loaded (a tie: either).
    assertThat(rebalance(current)).isEmpty();

    var pins = ShardPins.get(Adapter.toTyped(a));
    pins.pin("1", Cluster.get(b).selfAddress()).toCompletableFuture().get();
    Poll.until("the pin seen by the strategy's node", Duration.ofSeconds(10), () -> pins.current().get("1"),
        node -> node != null);
    assertThat(rebalance(current)).containsExactly("1");
    assertThat(allocate("1", Map.of(regionA, shards("2"), regionB, shards("3", "4")))).isEqualTo(regionB);

    // At home on B, now with 3 against 1: the least-shard rebalance may move B's others, never shard 1.
    current.put(regionA, shards("2"));
    current.put(regionB, shards("1", "3", "4"));
    assertThat(rebalance(current)).doesNotContain("1");
  }

  @Test
  void unpinnedShardsMoveTowardAnEvenCountOnlyWhenRebalancingIsOn() throws Exception {
    var uneven = new HashMap<ActorRef, IndexedSeq<String>>();
    uneven.put(regionA, shards("10", "11", "12", "13", "14", "15"));
    uneven.put(regionB, shards());
    assertThat(rebalance(uneven)).as("moved from the full node").isNotEmpty().isSubsetOf("10", "11", "12", "13", "14", "15");

    var off = new PinnedShardAllocation(10, 0.5, false);
    off.start(a);
    assertThat(Await.result(off.rebalance(uneven, Set.of()), scala.concurrent.duration.Duration.create(5, "s")))
        .as("rebalance off: nothing moves by itself").isEmpty();
  }
}
