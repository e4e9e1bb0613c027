package io.fiberlb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fiberlb.controlplane.LoadBalancerProtocol.ChildReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.LoadBalancerReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Rejected;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.LoadBalancerState.Deleted;
import io.fiberlb.controlplane.LoadBalancerState.NotCreated;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Enums;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The LoadBalancer entity with EventSourcedBehaviorTestKit: reply, events and state for every command, rejects
 * persist nothing, and a restart recovers the same state. The project directory and the VIP pool are the real
 * behaviors, spawned as plain actors on the same in-memory journal. The testkit also round-trips every command,
 * event and state through Jackson CBOR, so the journal format is exercised too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadBalancerEntityTest {
  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.persistence.journal.auto-start-journals = []
      pekko.persistence.snapshot-store.auto-start-snapshot-stores = []
      pekko.actor.testkit.typed.single-expect-default = 5s
      """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(PersistenceTestKitSnapshotPlugin.config())
      .withFallback(ConfigFactory.load());

  private final ActorTestKit testKit = ActorTestKit.create(CONFIG);
  private final AtomicInteger n = new AtomicInteger();
  static final Quotas QUOTAS = new Quotas(10, 10, 10, 3, 10, -1, -1, -1);

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  /** One load balancer entity with its own project and VIP range, so tests do not see each other. */
  final class Harness implements Directory {
    final String lbId = UUID.randomUUID().toString();
    final String project = "p" + n.incrementAndGet();
    final String range = "127.0." + (100 + n.get()) + ".0/29";
    final ControlPlaneSettings settings = new ControlPlaneSettings(Duration.ofSeconds(3), 4, range, QUOTAS,
        Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30), 0);
    final ActorRef<ProjectEntity.Command> projectRef = testKit.spawn(new ProjectEntity("default/" + project, QUOTAS, 4));
    final ActorRef<VipPoolEntity.Command> vipRef = testKit.spawn(new VipPoolEntity(range, 4));
    final TestProbe<Command> resumes = testKit.createTestProbe();
    final EventSourcedBehaviorTestKit<Command, LoadBalancerEvent, LoadBalancerState> kit =
        EventSourcedBehaviorTestKit.create(testKit.system(), LoadBalancerEntity.create(lbId, this, settings, null));
    final Caller caller = new Caller("default", project, "local:tester", "127.0.0.1:5000", "req-" + n.get());

    @Override
    public RecipientRef<ProjectEntity.Command> project(String orgId, String projectId) {
      return projectRef;
    }

    @Override
    public RecipientRef<VipPoolEntity.Command> vipPool(String r) {
      return vipRef;
    }

    @Override
    public RecipientRef<Command> loadBalancer(String id) {
      return resumes.ref();
    }

    Reply create(String name) {
      return kit.<Reply>runCommand(r -> new LoadBalancerEntity.CreateLoadBalancer(caller,
          new LoadBalancerPatch(name, null, null, null, null), r)).reply();
    }

    Active active() {
      return (Active) kit.getState();
    }

    EventSourcedBehaviorTestKit.CommandResultWithReply<Command, LoadBalancerEvent, LoadBalancerState, Reply> child(
        String poolId, ChildPatch patch) {
      return kit.runCommand(r -> new LoadBalancerEntity.CreateChild(caller, poolId, patch, "", r));
    }

    String createChild(String poolId, ChildPatch patch) {
      return ((ChildReply) child(poolId, patch).reply()).child().child().id();
    }

    List<Object> journal() {
      return kit.persistenceTestKit().persistedInStorage("LoadBalancer|" + lbId);
    }

    ProjectEntity.Reply askProject(java.util.function.Function<ActorRef<ProjectEntity.Reply>, ProjectEntity.Command> f) {
      TestProbe<ProjectEntity.Reply> probe = testKit.createTestProbe();
      projectRef.tell(f.apply(probe.ref()));
      return probe.receiveMessage();
    }

    VipPoolEntity.Reply askVip(java.util.function.Function<ActorRef<VipPoolEntity.Reply>, VipPoolEntity.Command> f) {
      TestProbe<VipPoolEntity.Reply> probe = testKit.createTestProbe();
      vipRef.tell(f.apply(probe.ref()));
      return probe.receiveMessage();
    }
  }

  static Listener.Patch listener(int port, String poolId) {
    return new Listener.Patch(null, null, null, port, poolId, null, null, null, null, null, null, null);
  }

  static Pool.Patch pool(String name) {
    return new Pool.Patch(name, null, null, Enums.LbAlgorithm.MAGLEV, null, null, null, null, null);
  }

  static Backend.Patch backend(String address, int port) {
    return new Backend.Patch(null, address, port, null, null, null, null, null);
  }

  static HealthCheck.Patch healthCheck() {
    return new HealthCheck.Patch(null, Enums.HealthCheckType.HTTP, 2000L, 1000L, null, null, null, "/health", null, null, null);
  }

  private static Rejection rejection(Reply r) {
    assertThat(r).isInstanceOf(Rejected.class);
    return ((Rejected) r).rejection();
  }

  @Test
  void createRegistersTheNameAllocatesAVipAndStartsAtVersionOne() {
    var h = new Harness();
    var result = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.CreateLoadBalancer(h.caller,
        new LoadBalancerPatch("web", "front", null, null, List.of("prod")), r));
    var lb = ((LoadBalancerReply) result.reply()).lb();
    assertThat(lb.info().name()).isEqualTo("web");
    assertThat(lb.info().vipAddress()).isEqualTo("127.0." + (100 + Integer.parseInt(h.project.substring(1))) + ".1");
    assertThat(lb.version()).isEqualTo(1);
    assertThat(lb.provisioning()).isEqualTo(Enums.ProvisioningStatus.ACTIVE);
    assertThat(result.events().get(0)).isInstanceOf(LoadBalancerEvent.CreationStarted.class);
    assertThat(h.journal()).hasSize(2).element(1).isInstanceOf(LoadBalancerEvent.Created.class);
    var started = (LoadBalancerEvent.CreationStarted) h.journal().get(0);
    assertThat(started.meta().actor()).isEqualTo("local:tester");
    assertThat(started.meta().peer()).isEqualTo("127.0.0.1:5000");
    assertThat(started.meta().command()).isEqualTo("CreateLoadBalancer");
    assertThat(h.active().info().tags()).containsExactly("prod");
    // The project lists it, and the VIP pool holds its address.
    assertThat(((ProjectEntity.Page) h.askProject(r -> new ProjectEntity.ListLoadBalancers(0, 10, r))).lbIds())
        .containsExactly(h.lbId);
    assertThat(h.askVip(r -> new VipPoolEntity.Allocate(h.lbId, "", r)).address()).isEqualTo(lb.info().vipAddress());
    // A repeated create is answered with the same load balancer and persists nothing.
    var again = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.CreateLoadBalancer(h.caller,
        new LoadBalancerPatch("web", null, null, null, null), r));
    assertThat(again.events()).isEmpty();
    assertThat(((LoadBalancerReply) again.reply()).lb()).isEqualTo(lb);
  }

  @Test
  void aRejectedCreatePersistsNothing() {
    var h = new Harness();
    var result = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.CreateLoadBalancer(h.caller,
        new LoadBalancerPatch("", null, null, null, null), r));
    assertThat(rejection(result.reply()).code()).isEqualTo(Rejection.Code.INVALID_ARGUMENT);
    assertThat(result.events()).isEmpty();
    assertThat(result.state()).isEqualTo(new NotCreated(0));
  }

  @Test
  void aCreateRefusedByALaterStepGivesBackWhatEarlierStepsTook() {
    var h = new Harness();
    // Another load balancer holds the first address of the range: ask for it explicitly.
    String taken = h.askVip(r -> new VipPoolEntity.Allocate("someone-else", "", r)).address();
    var result = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.CreateLoadBalancer(h.caller,
        new LoadBalancerPatch("web", null, taken, null, null), r));
    assertThat(rejection(result.reply()).code()).isEqualTo(Rejection.Code.ALREADY_EXISTS);
    assertThat(h.journal()).hasSize(2).element(1).isInstanceOf(LoadBalancerEvent.CreationFailed.class);
    assertThat(h.kit.getState()).isEqualTo(new NotCreated(1));
    // The name registration taken in the first step was given back.
    assertThat(((ProjectEntity.Page) h.askProject(r -> new ProjectEntity.ListLoadBalancers(0, 10, r))).lbIds()).isEmpty();
    // And the same entity can be created again afterwards.
    assertThat(h.create("web")).isInstanceOf(LoadBalancerReply.class);
    assertThat(h.active().version()).isEqualTo(1);
  }

  @Test
  void updatesChangeOnlyWhatIsGivenAndANoOpPersistsNothing() {
    var h = new Harness();
    h.create("web");
    var result = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch(null, "public web", null, false, null), null, r));
    var lb = ((LoadBalancerReply) result.reply()).lb();
    assertThat(lb.info().description()).isEqualTo("public web");
    assertThat(lb.info().name()).isEqualTo("web");
    assertThat(lb.operating()).isEqualTo(Enums.OperatingStatus.OFFLINE);
    assertThat(result.events()).singleElement().isInstanceOf(LoadBalancerEvent.Updated.class);
    assertThat(((Active) result.state()).version()).isEqualTo(2);

    var same = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch(null, "public web", null, null, null), null, r));
    assertThat(same.events()).isEmpty();

    var stale = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch(null, "x", null, null, null), 1L, r));
    assertThat(rejection(stale.reply()).code()).isEqualTo(Rejection.Code.ABORTED);
    assertThat(stale.events()).isEmpty();
  }

  @Test
  void aRenameGoesThroughTheProjectSoNamesStayUnique() {
    var h = new Harness();
    h.create("web");
    // Another load balancer of the project holds "api".
    h.askProject(r -> new ProjectEntity.Register("other-lb", "api", r));
    var clash = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch("api", null, null, null, null), null, r));
    assertThat(rejection(clash.reply()).message()).isEqualTo(
        "load_balancer.name: 'api' is already used by load balancer other-lb in this project");
    assertThat(clash.events()).isEmpty();

    var renamed = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch("shop", null, null, null, null), null, r));
    assertThat(((LoadBalancerReply) renamed.reply()).lb().info().name()).isEqualTo("shop");
    // The old name is free again in the project.
    assertThat(h.askProject(r -> new ProjectEntity.Register("third-lb", "web", r))).isInstanceOf(ProjectEntity.Done.class);
  }

  @Test
  void childrenAreCreatedUpdatedAndDeletedWithTheirRules() {
    var h = new Harness();
    h.create("web");
    String hc = h.createChild("", healthCheck());
    String pool = h.createChild("", new Pool.Patch("p", null, null, null, null, null, hc, null, null));
    String b1 = h.createChild(pool, backend("10.0.0.1", 80));
    var listenerResult = h.child("", listener(80, pool));
    assertThat(listenerResult.events()).singleElement().isInstanceOf(LoadBalancerEvent.ChildCreated.class);
    Listener l = (Listener) ((ChildReply) listenerResult.reply()).child().child();
    assertThat(l.version()).isEqualTo(5);
    assertThat(l.createdVersion()).isEqualTo(5);
    assertThat(h.active().usage()).isEqualTo(new io.fiberlb.controlplane.model.Usage(1, 1, 1, 1));

    // Field rule, tree rule, reference rule: each refused with nothing persisted.
    var badPort = h.child("", listener(70000, null));
    assertThat(rejection(badPort.reply()).message()).isEqualTo("listener.protocol_port: must be 1..65535, got 70000");
    assertThat(badPort.events()).isEmpty();
    var samePort = h.child("", listener(80, null));
    assertThat(rejection(samePort.reply()).code()).isEqualTo(Rejection.Code.ALREADY_EXISTS);
    var noPool = h.child("", listener(81, UUID.randomUUID().toString()));
    assertThat(rejection(noPool.reply()).code()).isEqualTo(Rejection.Code.NOT_FOUND);
    assertThat(noPool.events()).isEmpty();

    // Update: weight 0 drains.
    var drained = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateChild(h.caller, Kind.BACKEND, b1,
        new Backend.Patch(null, null, null, 0, null, null, null, null), null, r));
    assertThat(((ChildReply) drained.reply()).child().operating()).isEqualTo(Enums.OperatingStatus.DRAINING);
    assertThat(((Backend) h.active().children().get(b1)).weight()).isZero();
    assertThat(drained.events()).singleElement().isInstanceOf(LoadBalancerEvent.ChildUpdated.class);

    // A pool in use stays; without its listener it goes, with its backends, in one event.
    var inUse = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteChild(h.caller, Kind.POOL, pool, null, r));
    assertThat(rejection(inUse.reply()).code()).isEqualTo(Rejection.Code.FAILED_PRECONDITION);
    assertThat(inUse.events()).isEmpty();
    h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteChild(h.caller, Kind.LISTENER, l.id(), null, r));
    var gone = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteChild(h.caller, Kind.POOL, pool, null, r));
    assertThat(gone.events()).singleElement().isEqualTo(new LoadBalancerEvent.ChildDeleted(Kind.POOL, pool, List.of(b1),
        ((LoadBalancerEvent.ChildDeleted) gone.events().get(0)).meta()));
    assertThat(h.active().children()).containsOnlyKeys(hc);
  }

  @Test
  void childQuotasAreAskedOfTheProjectBeforeAnythingIsPersisted() {
    var h = new Harness();
    h.create("web");
    String pool = h.createChild("", pool("p"));
    for (int i = 1; i <= 3; i++) h.createChild(pool, backend("10.0.0." + i, 80));
    var over = h.child(pool, backend("10.0.0.4", 80));
    assertThat(rejection(over.reply())).isEqualTo(Rejection.exhausted("quota: the project would have 4 backends, its limit is 3 (quota backends)"));
    assertThat(over.events()).isEmpty();
  }

  @Test
  void concurrentWritesQueueBehindTheQuotaCheckAndAllLand() {
    var h = new Harness();
    // A plain (non-testkit) incarnation, so that many commands can be in its mailbox at once.
    String lbId = UUID.randomUUID().toString();
    ActorRef<Command> lb = testKit.spawn(LoadBalancerEntity.create(lbId, h, h.settings, null));
    TestProbe<Reply> probe = testKit.createTestProbe();
    lb.tell(new LoadBalancerEntity.CreateLoadBalancer(h.caller, new LoadBalancerPatch("c", null, null, null, null), probe.ref()));
    probe.expectMessageClass(LoadBalancerReply.class);
    var replies = new ArrayList<TestProbe<Reply>>();
    for (int port = 1; port <= 8; port++) {
      TestProbe<Reply> p = testKit.createTestProbe();
      replies.add(p);
      lb.tell(new LoadBalancerEntity.CreateChild(h.caller, "", listener(port, null), "", p.ref()));
      lb.tell(new LoadBalancerEntity.GetLoadBalancer(h.caller, p.ref()));
    }
    long lastVersion = 0;
    for (var p : replies) {
      assertThat(p.receiveMessage()).isInstanceOf(ChildReply.class);
      // The read sent right after each create sees it: commands are handled in the order they came.
      long v = ((LoadBalancerReply) p.receiveMessage()).lb().version();
      assertThat(v).isGreaterThan(lastVersion);
      lastVersion = v;
    }
    assertThat(lastVersion).isEqualTo(9);
  }

  @Test
  void anotherTenantGetsNotFoundAndChangesNothing() {
    var h = new Harness();
    h.create("web");
    var stranger = new Caller("default", "someone-else", "local:x", "", "r");
    var get = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.GetLoadBalancer(stranger, r));
    assertThat(rejection(get.reply())).isEqualTo(Rejection.notFound("load balancer " + h.lbId + " not found"));
    var del = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteLoadBalancer(stranger, true, null, r));
    assertThat(rejection(del.reply()).code()).isEqualTo(Rejection.Code.NOT_FOUND);
    assertThat(del.events()).isEmpty();
  }

  @Test
  void deleteNeedsCascadeThenGivesEverythingBack() {
    var h = new Harness();
    String vip = ((LoadBalancerReply) h.create("web")).lb().info().vipAddress();
    String pool = h.createChild("", pool("p"));
    var refused = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteLoadBalancer(h.caller, false, null, r));
    assertThat(rejection(refused.reply()).code()).isEqualTo(Rejection.Code.FAILED_PRECONDITION);
    assertThat(refused.events()).isEmpty();

    var deleted = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.DeleteLoadBalancer(h.caller, true, null, r));
    assertThat(((LoadBalancerEntity.DeletedReply) deleted.reply()).version()).isEqualTo(3);
    var journal = h.journal();
    assertThat(journal.get(journal.size() - 2)).isInstanceOfSatisfying(LoadBalancerEvent.Deleted.class,
        d -> assertThat(d.removedChildIds()).containsExactly(pool));
    assertThat(journal.get(journal.size() - 1)).isInstanceOf(LoadBalancerEvent.CleanedUp.class);
    assertThat(h.kit.getState()).isInstanceOfSatisfying(Deleted.class, d -> assertThat(d.cleanedUp()).isTrue());
    // The VIP and the name are free again.
    assertThat(h.askVip(r -> new VipPoolEntity.Allocate("next", vip, r)).address()).isEqualTo(vip);
    assertThat(h.askProject(r -> new ProjectEntity.Register("next", "web", r))).isInstanceOf(ProjectEntity.Done.class);
    // Afterwards it is gone for every command.
    var get = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.GetLoadBalancer(h.caller, r));
    assertThat(rejection(get.reply()).code()).isEqualTo(Rejection.Code.NOT_FOUND);
  }

  @Test
  void aRestartRecoversTheSameStateFromEventsAndSnapshots() {
    var h = new Harness();
    h.create("web");
    String pool = h.createChild("", pool("p"));
    for (int i = 1; i <= 3; i++) h.createChild(pool, backend("10.0.0." + i, 80));
    h.createChild("", listener(443, pool));
    h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch(null, "after snapshot", null, null, List.of("a", "b")), null, r));
    LoadBalancerState before = h.kit.getState();
    var restarted = h.kit.restart();
    assertThat(restarted.state()).isEqualTo(before);
    assertThat(((Active) restarted.state()).version()).isEqualTo(7);
  }

  @Test
  void unknownChildrenAndWrongKindsAreNotFound() {
    var h = new Harness();
    h.create("web");
    String pool = h.createChild("", pool("p"));
    var asListener = h.kit.<Reply>runCommand(r -> new LoadBalancerEntity.GetChild(h.caller, Kind.LISTENER, pool, r));
    assertThat(rejection(asListener.reply())).isEqualTo(
        Rejection.notFound("listener " + pool + " not found in load balancer " + h.lbId));
    var backendOfNoPool = h.child(UUID.randomUUID().toString(), backend("10.0.0.1", 80));
    assertThat(rejection(backendOfNoPool.reply()).message()).startsWith("pool_id: no pool ");
  }
}
