package io.fiberlb.controlplane;

import static io.fiberlb.controlplane.LoadBalancerEntityTest.backend;
import static io.fiberlb.controlplane.LoadBalancerEntityTest.healthCheck;
import static io.fiberlb.controlplane.LoadBalancerEntityTest.listener;
import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.controlplane.LoadBalancerProtocol.ChildReply;
import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.LoadBalancerProtocol.StatsReply;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Listener;
import io.fiberlb.controlplane.model.Pool;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Enums.OperatingStatus;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.port.DataPlanePort;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.StatsSnapshot;
import io.fiberlb.port.TrafficStats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The entity against a recording {@link DataPlanePort}: what it publishes (once per change of configuration, never
 * for a health transition), what it does with the data plane's reports, and what a restart publishes first.
 *
 * <p>Absence is shown by order, not by waiting: the entity tells its runtime in the order it handles messages, so
 * when the message after a health transition is the {@code Apply} of a later configuration change, the transition
 * published nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataPlanePublicationTest {
  private final ActorTestKit testKit = ActorTestKit.create(LoadBalancerEntityTest.CONFIG);
  private final AtomicInteger n = new AtomicInteger();

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  /** A data plane that records what its runtime is told and hands out the entity's report channel. */
  final class RecordingPort implements DataPlanePort {
    final TestProbe<RuntimeCommand> told = testKit.createTestProbe();
    final AtomicReference<ActorRef<DataPlaneReport>> reports = new AtomicReference<>();
    final AtomicInteger runtimes = new AtomicInteger();
    final AtomicReference<RuntimeCommand.Names> names = new AtomicReference<>();

    @Override
    public Behavior<RuntimeCommand> runtime(String lbId, ActorRef<DataPlaneReport> reportTo) {
      reports.set(reportTo);
      runtimes.incrementAndGet();
      return Behaviors.receiveMessage(m -> {
        if (m instanceof RuntimeCommand.Names n) { // labels for metrics, checked apart
          names.set(n);
          return Behaviors.same();
        }
        told.ref().tell(m);
        return m instanceof RuntimeCommand.Remove ? Behaviors.stopped() : Behaviors.same();
      });
    }

    @Override
    public StatsSnapshot stats(String lbId) {
      return new StatsSnapshot("pekko://node", List.of(new TrafficStats("l-1", 1, 2, 3, 4, 5, 6, 7)), List.of());
    }

    DesiredLoadBalancer nextApply() {
      return told.expectMessageClass(RuntimeCommand.Apply.class).desired();
    }

    void report(DataPlaneReport r) {
      reports.get().tell(r);
    }
  }

  /** One load balancer with its own project, VIP range and recording data plane. */
  final class Harness implements Directory {
    final String lbId = UUID.randomUUID().toString();
    final String project = "pub" + n.incrementAndGet();
    final String range = "127.0." + (200 + n.get()) + ".0/29";
    final ControlPlaneSettings settings = new ControlPlaneSettings(Duration.ofSeconds(3), 4, range,
        LoadBalancerEntityTest.QUOTAS, Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(30), 0);
    final ActorRef<ProjectEntity.Command> projectRef =
        testKit.spawn(new ProjectEntity("default/" + project, LoadBalancerEntityTest.QUOTAS, 4));
    final ActorRef<VipPoolEntity.Command> vipRef = testKit.spawn(new VipPoolEntity(range, 4));
    final TestProbe<Command> resumes = testKit.createTestProbe();
    final Caller caller = new Caller("default", project, "local:tester", "127.0.0.1:5000", "req-" + n.get());
    final RecordingPort port = new RecordingPort();
    ActorRef<Command> lb = spawn();

    ActorRef<Command> spawn() {
      return testKit.spawn(LoadBalancerEntity.create(lbId, this, settings, null, port));
    }

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

    Reply ask(Function<ActorRef<Reply>, Command> command) {
      TestProbe<Reply> probe = testKit.createTestProbe();
      lb.tell(command.apply(probe.ref()));
      return probe.receiveMessage();
    }

    void create() {
      ask(r -> new LoadBalancerEntity.CreateLoadBalancer(caller, new LoadBalancerPatch("web", null, null, null, null), r));
    }

    String child(String poolId, ChildPatch patch) {
      Reply r = ask(ref -> new LoadBalancerEntity.CreateChild(caller, poolId, patch, "", ref));
      assertThat(r).isInstanceOf(ChildReply.class);
      return ((ChildReply) r).child().child().id();
    }

    ChildView get(Kind kind, String id) {
      return ((ChildReply) ask(r -> new LoadBalancerEntity.GetChild(caller, kind, id, r))).child();
    }

    /** A load balancer with a listener on a health-checked pool of one backend; returns {pool, backend, listener}. */
    String[] tree() {
      create();
      String hc = child("", healthCheck());
      String pool = child("", new Pool.Patch("p", null, null, null, null, null, hc, null, null));
      String b = child(pool, backend("10.0.0.1", 80));
      String l = child("", listener(8080, pool));
      return new String[] {pool, b, l};
    }
  }

  @Test
  void eachConfigurationChangePublishesOnceAndAHealthFlapPublishesNothing() {
    var h = new Harness();
    String[] ids = h.tree();
    String backend = ids[1];
    String listener = ids[2];
    // Created, then health check, pool, backend, listener: one Apply each, in order.
    assertThat(h.port.nextApply().listeners()).isEmpty();
    assertThat(h.port.nextApply().healthChecks()).hasSize(1);
    assertThat(h.port.nextApply().pools()).hasSize(1);
    assertThat(h.port.nextApply().backends()).hasSize(1);
    DesiredLoadBalancer running = h.port.nextApply();
    assertThat(running.listeners()).singleElement().satisfies(l -> assertThat(l.id()).isEqualTo(listener));
    assertThat(running.healthCheckOf(running.pools().get(0))).isNotNull();
    assertThat(running.journaledHealth()).isEmpty();

    // A flap: both transitions are journaled (the status reads them) ...
    h.port.report(new DataPlaneReport.HealthTransition(backend, false, "refused"));
    ChildView down = h.get(Kind.BACKEND, backend);
    assertThat(down.operating()).isEqualTo(OperatingStatus.ERROR);
    assertThat(down.reason()).isEqualTo("refused");
    h.port.report(new DataPlaneReport.HealthTransition(backend, true, "passed 2 checks"));
    assertThat(h.get(Kind.BACKEND, backend).operating()).isEqualTo(OperatingStatus.ONLINE);
    var named = new RuntimeCommand.Names("web", Map.of(listener, ""));
    io.fiberlb.it.Poll.until("the names", Duration.ofSeconds(5), h.port.names::get, named::equals);
    // ... and a rename changes nothing the data plane runs: only the names its metrics carry.
    h.ask(r -> new LoadBalancerEntity.UpdateLoadBalancer(h.caller,
        new LoadBalancerPatch("renamed", null, null, null, null), null, r));
    var renamed = new RuntimeCommand.Names("renamed", Map.of(listener, ""));
    io.fiberlb.it.Poll.until("the new names", Duration.ofSeconds(5), h.port.names::get, renamed::equals);

    // The next thing the runtime hears is the next configuration change, with the verdict journaled meanwhile.
    h.ask(r -> new LoadBalancerEntity.UpdateChild(h.caller, Kind.LISTENER, listener,
        new Listener.Patch(null, null, null, null, null, 10, null, null, null, null, null, null), null, r));
    DesiredLoadBalancer next = h.port.nextApply();
    assertThat(next.listeners().get(0).connectionLimit()).isEqualTo(10);
    assertThat(next.journaledHealth()).isEqualTo(Map.of(backend, true));

    h.ask(r -> new LoadBalancerEntity.DeleteLoadBalancer(h.caller, true, null, r));
    h.port.told.expectMessageClass(RuntimeCommand.Remove.class);
    assertThat(h.port.runtimes.get()).isEqualTo(1);
  }

  @Test
  void listenerReportsSetAndClearTheListenersError() {
    var h = new Harness();
    String listener = h.tree()[2];
    h.port.report(new DataPlaneReport.ListenerStatus(listener, "cannot bind 127.0.0.1:8080: address already in use"));
    ChildView failing = h.get(Kind.LISTENER, listener);
    assertThat(failing.operating()).isEqualTo(OperatingStatus.ERROR);
    assertThat(failing.reason()).isEqualTo("cannot bind 127.0.0.1:8080: address already in use");
    h.port.report(new DataPlaneReport.ListenerStatus(listener, ""));
    assertThat(h.get(Kind.LISTENER, listener).operating()).isEqualTo(OperatingStatus.ONLINE);
  }

  @Test
  void aRestartPublishesTheJournaledVerdictsAsSeeds() {
    var h = new Harness();
    String backend = h.tree()[1];
    h.port.report(new DataPlaneReport.HealthTransition(backend, false, "timeout"));
    assertThat(h.get(Kind.BACKEND, backend).operating()).isEqualTo(OperatingStatus.ERROR);

    TestProbe<Object> watcher = testKit.createTestProbe();
    h.lb.tell(new LoadBalancerEntity.Stop("test"));
    watcher.expectTerminated(h.lb);
    for (int i = 0; i < 5; i++) h.port.nextApply(); // the first incarnation's

    h.lb = h.spawn();
    DesiredLoadBalancer recovered = h.port.nextApply();
    assertThat(recovered.journaledHealth()).isEqualTo(Map.of(backend, false));
    assertThat(recovered.backends()).singleElement().satisfies(b -> assertThat(b.id()).isEqualTo(backend));
    assertThat(h.port.runtimes.get()).isEqualTo(2);
  }

  @Test
  void statsComeFromThePortAndSurviveTheWire() {
    var h = new Harness();
    h.create();
    Reply reply = h.ask(r -> new LoadBalancerEntity.GetStats(h.caller, r));
    assertThat(reply).isEqualTo(new StatsReply(h.port.stats(h.lbId)));
    var serialization = testKit.serializationTestKit();
    assertThat(serialization.verifySerialization(reply, true)).isEqualTo(reply);
    DataPlaneReport down = new DataPlaneReport.HealthTransition("b", false, "refused");
    assertThat(serialization.verifySerialization(down, true)).isEqualTo(down);
    DataPlaneReport bind = new DataPlaneReport.ListenerStatus("l", "cannot bind");
    assertThat(serialization.verifySerialization(bind, true)).isEqualTo(bind);
  }
}
