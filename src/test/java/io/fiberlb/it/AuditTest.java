package io.fiberlb.it;

import static io.fiberlb.it.TestServer.statusOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.*;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The audit API against a real server: history, replay to any point, diffs, live feed, tenancy. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditTest {
  private TestServer server;
  private final AtomicInteger projects = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    // A snapshot every 7 events, so that the replays below start from the entity's snapshots as well as from the
    // first event (a load balancer here has about 50 events); and project history read directly from the journal
    // tables right away (the default reads the last 10 s through the read journal, which every test here is within).
    server = new TestServer(Map.of("fiberlb.control-plane.snapshot-every", 7, "fiberlb.audit.settled-after", "0s"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private TestServer.Api freshProject() {
    return server.as("audit" + projects.incrementAndGet());
  }

  /** What the ordinary API shows of a load balancer now, in the shape GetLoadBalancerAt answers. */
  private static LoadBalancerSnapshot seen(TestServer.Api api, String lbId) {
    var out = LoadBalancerSnapshot.newBuilder().setLoadBalancer(api.getLb(lbId));
    out.addAllListeners(api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
        .setLoadBalancerId(lbId).setPageSize(1000).build()).getListenersList());
    out.addAllPools(api.call(api.pools().listPools(), ListPoolsRequest.newBuilder()
        .setLoadBalancerId(lbId).setPageSize(1000).build()).getPoolsList());
    out.addAllBackends(api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder()
        .setLoadBalancerId(lbId).setPageSize(1000).build()).getBackendsList());
    out.addAllHealthChecks(api.call(api.healthChecks().listHealthChecks(), ListHealthChecksRequest.newBuilder()
        .setLoadBalancerId(lbId).setPageSize(1000).build()).getHealthChecksList());
    return out.build();
  }

  private static LoadBalancerSnapshot at(TestServer.Api api, String lbId, PointInTime p) {
    return api.call(api.audit().getLoadBalancerAt(), GetLoadBalancerAtRequest.newBuilder().setId(lbId).setAt(p).build());
  }

  private static PointInTime version(long v) {
    return PointInTime.newBuilder().setVersion(v).build();
  }

  private static PointInTime time(Instant t) {
    return PointInTime.newBuilder().setTime(Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()))
        .build();
  }

  /** A random valid change to one of the load balancers; the model tracks ids so every change is valid. */
  private static final class Model {
    final Random random = new Random(42);
    final Map<String, List<String>> listeners = new HashMap<>();
    final Map<String, List<String>> pools = new HashMap<>();
    final Map<String, List<String>> backends = new HashMap<>();
    final Map<String, List<String>> checks = new HashMap<>();
    int port = 1000;

    <T> T pick(List<T> xs) {
      return xs.get(random.nextInt(xs.size()));
    }

    void change(TestServer.Api api, String lb) {
      var ls = listeners.computeIfAbsent(lb, k -> new ArrayList<>());
      var ps = pools.computeIfAbsent(lb, k -> new ArrayList<>());
      var bs = backends.computeIfAbsent(lb, k -> new ArrayList<>());
      var hs = checks.computeIfAbsent(lb, k -> new ArrayList<>());
      switch (random.nextInt(10)) {
        case 0 -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("d" + random.nextInt(1000))
                .addTags("t" + random.nextInt(5))).build());
        case 1 -> ls.add(api.createListener(lb, port++, ps.isEmpty() ? null : pick(ps)).getId());
        case 2 -> {
          if (ls.isEmpty()) ls.add(api.createListener(lb, port++, null).getId());
          else api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb)
              .setId(pick(ls)).setListener(ListenerSpec.newBuilder().setConnectionLimit(1 + random.nextInt(999))).build());
        }
        case 3 -> {
          if (ls.isEmpty()) ps.add(api.createPool(lb, "p" + port++).getId());
          else {
            String id = ls.remove(random.nextInt(ls.size()));
            api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb)
                .setId(id).build());
          }
        }
        case 4 -> ps.add(api.createPool(lb, "p" + port++).getId());
        case 5 -> {
          if (ps.isEmpty()) ps.add(api.createPool(lb, "p" + port++).getId());
          else api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb).setId(pick(ps))
              .setPool(PoolSpec.newBuilder().setLbAlgorithm(LbAlgorithm.forNumber(1 + random.nextInt(7)))).build());
        }
        case 6, 7 -> {
          if (ps.isEmpty()) ps.add(api.createPool(lb, "p" + port++).getId());
          else bs.add(api.createBackend(lb, pick(ps), "10.0." + random.nextInt(250) + "." + random.nextInt(250),
              port++).getId());
        }
        case 8 -> {
          if (bs.isEmpty()) hs.add(api.createHealthCheck(lb).getId());
          else api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder().setLoadBalancerId(lb)
              .setId(pick(bs)).setBackend(BackendSpec.newBuilder().setWeight(random.nextInt(257))).build());
        }
        default -> {
          if (hs.isEmpty()) hs.add(api.createHealthCheck(lb).getId());
          else api.call(api.healthChecks().updateHealthCheck(), UpdateHealthCheckRequest.newBuilder()
              .setLoadBalancerId(lb).setId(pick(hs)).setHealthCheck(HealthCheckSpec.newBuilder()
                  .setRise(1 + random.nextInt(10))).build());
        }
      }
    }
  }

  @Test
  void replayGivesBackExactlyWhatGetShowedAtEveryVersionAndTime() {
    var api = freshProject();
    var lbs = new ArrayList<String>();
    for (int i = 0; i < 4; i++) lbs.add(api.createLb("r" + i).getId());
    record Seen(String lb, LoadBalancerSnapshot snapshot, Instant after) {}
    var history = new ArrayList<Seen>();
    var model = new Model();
    for (int i = 0; i < 200; i++) {
      String lb = lbs.get(model.random.nextInt(lbs.size()));
      model.change(api, lb);
      history.add(new Seen(lb, seen(api, lb), Instant.now()));
    }
    for (Seen s : history) {
      long v = s.snapshot().getLoadBalancer().getVersion();
      assertThat(at(api, s.lb(), version(v)).toBuilder().clearSequenceNr().build()).as("version " + v)
          .isEqualTo(s.snapshot());
      assertThat(at(api, s.lb(), time(s.after())).toBuilder().clearSequenceNr().build()).as("time " + s.after())
          .isEqualTo(s.snapshot());
    }
    // Those replays started from the snapshots: every one the entities saved is kept (keep-snapshots = all).
    for (String lb : lbs) {
      long last = at(api, lb, PointInTime.getDefaultInstance()).getSequenceNr();
      assertThat(Poll.until(Duration.ofSeconds(10), () -> snapshotsOf(lb), n -> n == last / 7))
          .as("snapshots of %s, one after every 7th of its %d events", lb, last).isEqualTo(last / 7);
    }
  }

  /** The snapshots the journal holds for a load balancer, counted in the server's own H2 file. */
  private long snapshotsOf(String lbId) {
    String url = "jdbc:h2:file:" + server.dataDir + "/fiberlb;DATABASE_TO_UPPER=false;WRITE_DELAY=0";
    try (var c = java.sql.DriverManager.getConnection(url, "fiberlb", "fiberlb");
        var ps = c.prepareStatement("SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" = ?")) {
      ps.setString(1, "LoadBalancer|" + lbId);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void diffShowsExactlyTheKnownChanges() {
    var api = freshProject();
    String lb = api.createLb("d").getId();
    Listener l = api.createListener(lb, 80, null); // version 2
    api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb).setId(l.getId())
        .setListener(ListenerSpec.newBuilder().setProtocolPort(8080).setName("web")).build()); // version 3
    Pool p = api.createPool(lb, "p"); // version 4

    var diff = api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(version(2)).setTo(version(4)).build());
    assertThat(diff.getFromVersion()).isEqualTo(2);
    assertThat(diff.getToVersion()).isEqualTo(4);
    assertThat(diff.getChangesList()).extracting(Change::getType, Change::getResourceKind, Change::getResourceId,
            Change::getField, Change::getBefore, Change::getAfter)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Change.Type.CHANGED, "listener", l.getId(), "name", "\"\"", "\"web\""),
            org.assertj.core.groups.Tuple.tuple(Change.Type.CHANGED, "listener", l.getId(), "protocol_port", "80", "8080"),
            org.assertj.core.groups.Tuple.tuple(Change.Type.ADDED, "pool", p.getId(), "", "",
                diff.getChanges(2).getAfter()));
    assertThat(diff.getChanges(2).getAfter()).contains("\"id\":\"" + p.getId() + "\"");

    // No change, no diff; and "to" defaults to now.
    assertThat(api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(version(4)).build()).getChangesList()).isEmpty();
    assertThat(api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(version(3)).setTo(version(3)).build()).getChangesList()).isEmpty();
    assertThatThrownBy(() -> api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(version(9)).build())).satisfies(t -> {
          assertThat(statusOf(t).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(statusOf(t).getDescription()).contains("from.version: load balancer " + lb + " has versions 1..4, got 9");
        });
  }

  @Test
  void eventsSayWhoWhenFromWhereAndWhy() {
    var api = freshProject();
    var alice = api.as("alice");
    var lb = alice.call(alice.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder().setRequestId("mk-1")
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("who")).build());
    Pool pool = api.as("bob").createPool(lb.getId(), "p");
    var events = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId()).build())
        .getEventsList();
    assertThat(events).extracting(AuditEvent::getType)
        .containsExactly("LoadBalancerCreationStarted", "LoadBalancerCreated", "PoolCreated");
    AuditEvent started = events.get(0);
    assertThat(started.getActor()).isEqualTo("local:alice");
    assertThat(started.getPeer()).startsWith("127.0.0.1:");
    assertThat(started.getRequestId()).isEqualTo("mk-1");
    assertThat(started.getCommand()).isEqualTo("CreateLoadBalancer");
    AuditEvent created = events.get(1);
    assertThat(created.getActor()).isEqualTo("system");
    assertThat(created.getRequestId()).isEqualTo("mk-1");
    assertThat(created.getReason()).contains("VIP " + lb.getVipAddress());
    assertThat(created.getVersion()).isEqualTo(1);
    AuditEvent poolCreated = events.get(2);
    assertThat(poolCreated.getActor()).isEqualTo("local:bob");
    assertThat(poolCreated.getResourceKind()).isEqualTo("pool");
    assertThat(poolCreated.getResourceId()).isEqualTo(pool.getId());
    assertThat(poolCreated.getRequestId()).startsWith("gen-");
    assertThat(poolCreated.getDetailsJson()).contains(pool.getId());
    assertThat(poolCreated.getTime().getSeconds()).isBetween(Instant.now().getEpochSecond() - 60, Instant.now().getEpochSecond());

    // Filters and paging.
    assertThat(api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setActor("local:bob").build()).getEventsList()).extracting(AuditEvent::getType).containsExactly("PoolCreated");
    assertThat(api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId())
        .addEventTypes("LoadBalancerCreated").build()).getEventsList()).hasSize(1);
    var page1 = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPageSize(2).build());
    var page2 = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setPageSize(2).setPageToken(page1.getNextPageToken()).build());
    assertThat(page1.getEventsList()).extracting(AuditEvent::getSequenceNr).containsExactly(1L, 2L);
    assertThat(page2.getEventsList()).extracting(AuditEvent::getSequenceNr).containsExactly(3L);
    assertThat(page2.getNextPageToken()).isEmpty();
    assertThat(api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb.getId())
        .setFromSequenceNr(2).setToSequenceNr(2).build()).getEventsList()).extracting(AuditEvent::getType)
        .containsExactly("LoadBalancerCreated");
  }

  @Test
  void aFollowerSeesAChangeWithinASecondAndResumesWithoutGapsOrDuplicates() throws Exception {
    var api = freshProject();
    String lb = api.createLb("live").getId();
    var received = new ConcurrentLinkedQueue<AuditEvent>();
    var arrived = new ConcurrentLinkedQueue<Instant>();
    UniqueKillSwitch stop = api.stream(api.audit().streamEvents(), StreamEventsRequest.newBuilder()
            .setLoadBalancerId(lb).setFollow(true).build())
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(Sink.foreach(e -> {
          received.add(e);
          arrived.add(Instant.now());
        }), Keep.left())
        .run(api.system());
    Poll.until(Duration.ofSeconds(10), received::size, n -> n >= 2);
    assertThat(received).hasSize(2);

    var latencies = new ArrayList<Duration>();
    for (int i = 0; i < 5; i++) {
      api.createListener(lb, 100 + i, null);
      Instant acked = Instant.now();
      int want = 3 + i;
      Poll.until(Duration.ofSeconds(5), received::size, n -> n >= want);
      assertThat(received).hasSize(want);
      latencies.add(Duration.between(acked, new ArrayList<>(arrived).get(want - 1)));
    }
    stop.shutdown();
    assertThat(latencies).allSatisfy(d -> assertThat(d).isLessThan(Duration.ofSeconds(1)));

    // The follower went away after its 7th event; 3 more changes happen; it resumes from its last offset.
    long last = new ArrayList<>(received).get(received.size() - 1).getOffset();
    for (int i = 0; i < 3; i++) api.createListener(lb, 200 + i, null);
    var resumed = api.stream(api.audit().streamEvents(), StreamEventsRequest.newBuilder()
            .setLoadBalancerId(lb).setFromOffset(last).build())
        .runWith(Sink.seq(), api.system()).toCompletableFuture().get();
    assertThat(resumed).extracting(AuditEvent::getSequenceNr).containsExactly(last + 1, last + 2, last + 3);

    // The same for the project-wide stream, whose offsets are journal positions: all 10 events of the project,
    // then from the 4th one's offset exactly the 6 after it.
    var all = api.stream(api.audit().streamEvents(), StreamEventsRequest.getDefaultInstance())
        .runWith(Sink.seq(), api.system()).toCompletableFuture().get();
    assertThat(all).hasSize(10).extracting(AuditEvent::getLoadBalancerId).containsOnly(lb);
    assertThat(all).extracting(AuditEvent::getSequenceNr).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    var rest = api.stream(api.audit().streamEvents(), StreamEventsRequest.newBuilder()
            .setFromOffset(all.get(3).getOffset()).build())
        .runWith(Sink.seq(), api.system()).toCompletableFuture().get();
    assertThat(rest).containsExactlyElementsOf(all.subList(4, 10));

    // The export: the same events as JSON Lines (the CLI's --json lines), many a message, and from an offset too.
    assertThat(export(api, 0)).isEqualTo(jsonLines(all));
    assertThat(export(api, all.get(3).getOffset())).isEqualTo(jsonLines(all.subList(4, 10)));
  }

  static String export(TestServer.Api api, long fromOffset) throws Exception {
    return export(api, ExportEventsRequest.newBuilder().setFromOffset(fromOffset).build());
  }

  /** An export's JSON Lines; each message whole lines, as many as it says. */
  static String export(TestServer.Api api, ExportEventsRequest request) throws Exception {
    var chunks = api.stream(api.audit().exportEvents(), request)
        .runWith(Sink.seq(), api.system()).toCompletableFuture().get();
    var text = new StringBuilder();
    long events = 0;
    for (ExportChunk c : chunks) {
      text.append(c.getJsonLines().toStringUtf8());
      events += c.getEvents();
      assertThat(c.getJsonLines().toStringUtf8()).endsWith("\n");
    }
    assertThat(text.toString().lines().count()).isEqualTo(events);
    return text.toString();
  }

  static String jsonLines(List<AuditEvent> events) {
    var out = new StringBuilder();
    for (AuditEvent e : events) {
      io.fiberlb.api.AuditEventLines.append(e, out);
      out.append('\n');
    }
    return out.toString();
  }

  @Test
  void aDeletedLoadBalancerKeepsItsHistory() {
    var api = freshProject();
    String lb = api.createLb("gone").getId();
    Pool p = api.createPool(lb, "p");
    api.createBackend(lb, p.getId(), "10.0.0.1", 80);
    LoadBalancerSnapshot before = seen(api, lb);
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb).setCascade(true).build());

    var events = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).build())
        .getEventsList();
    assertThat(events).extracting(AuditEvent::getType).containsExactly("LoadBalancerCreationStarted",
        "LoadBalancerCreated", "PoolCreated", "BackendCreated", "LoadBalancerDeleted", "LoadBalancerCleanedUp");
    assertThat(events.get(5).getActor()).isEqualTo("system");
    assertThat(events.get(5).getReason()).contains("released");
    assertThat(at(api, lb, version(3)).toBuilder().clearSequenceNr().build()).isEqualTo(before);
    LoadBalancerSnapshot after = at(api, lb, PointInTime.getDefaultInstance());
    assertThat(after.getDeleted()).isTrue();
    assertThat(after.getLoadBalancer().getProvisioningStatus()).isEqualTo(Provisioning.Status.DELETED);
    var diff = api.call(api.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
        .setFrom(version(3)).build()).getChangesList();
    assertThat(diff).extracting(Change::getType).containsOnly(Change.Type.REMOVED);
    assertThat(diff).extracting(Change::getResourceKind).containsExactly("load_balancer", "pool", "backend");
  }

  @Test
  void anotherProjectGetsNotFoundForHistoryPastAndLive() throws Exception {
    var owner = freshProject();
    String lb = owner.createLb("mine").getId();
    owner.createPool(lb, "p");
    var other = freshProject();
    other.createLb("theirs");
    for (Runnable call : List.<Runnable>of(
        () -> other.call(other.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).build()),
        () -> at(other, lb, version(1)),
        () -> other.call(other.audit().diffLoadBalancer(), DiffLoadBalancerRequest.newBuilder().setId(lb)
            .setFrom(version(1)).build()),
        () -> TestServer.await(other.stream(other.audit().streamEvents(), StreamEventsRequest.newBuilder()
            .setLoadBalancerId(lb).setFollow(true).build()).runWith(Sink.seq(), other.system())))) {
      assertThatThrownBy(call::run).satisfies(t -> {
        assertThat(statusOf(t).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(statusOf(t).getDescription()).isEqualTo("load balancer " + lb + " not found");
      });
    }
    // Unknown ids look the same.
    String unknown = "00000000-0000-4000-8000-000000000001";
    assertThatThrownBy(() -> owner.call(owner.audit().listEvents(), ListEventsRequest.newBuilder()
        .setLoadBalancerId(unknown).build())).satisfies(t -> assertThat(statusOf(t).getCode()).isEqualTo(Status.Code.NOT_FOUND));
    // A project's stream holds only its own events.
    var theirs = other.stream(other.audit().streamEvents(), StreamEventsRequest.getDefaultInstance())
        .runWith(Sink.seq(), other.system()).toCompletableFuture().get();
    assertThat(theirs).isNotEmpty().noneMatch(e -> e.getLoadBalancerId().equals(lb));
  }
}
