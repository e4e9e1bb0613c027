package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.fiberlb.api.v1.*;
import io.fiberlb.it.TestServer.Api;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Rollback and restore against a real server: a rollback gives exactly the past configuration (compared with what
 * the audit rebuilds for that version), as one new version, and can be rolled forward; what cannot be had today is
 * refused with the field named and nothing written; a deleted load balancer comes back with every child.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RollbackTest {
  private TestServer server;

  @BeforeAll
  void start() throws Exception {
    // A small backend quota, so that one test can reach it; the random history stays under it (see Model).
    server = new TestServer(Map.of("fiberlb.quotas.backends", 60));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  // ------------------------------------------------------------------ equivalence

  @Test
  void rollingBackToAnyVersionGivesThatVersionsConfigurationAndRollingForwardGivesTodays() {
    Api api = server.as("rollback-equivalence");
    String lb = api.createLb("eq").getId();
    var model = new Model(api, lb, new Random(14));
    for (int i = 0; i < 200; i++) model.randomChange();
    long latest = api.getLb(lb).getVersion();
    assertThat(latest).isEqualTo(201); // one version per change: every change above really changed something
    LoadBalancerSnapshot today = at(api, lb, latest);

    Random pick = new Random(41);
    long version = latest;
    for (int i = 0; i < 30; i++) {
      long to = 1 + pick.nextInt((int) latest);
      RollbackLoadBalancerResponse r = rollback(api, lb, to, false);
      assertThat(r.getFromVersion()).isEqualTo(version);
      assertThat(r.getToVersion()).isEqualTo(to);
      version = r.getVersion();
      assertThat(live(api, lb)).as("Get after rolling back to version " + to).isEqualTo(strip(at(api, lb, to)));
      assertThat(strip(r.getLoadBalancer())).isEqualTo(strip(at(api, lb, to)));
    }
    // Roll forward: back to the configuration before the first rollback, through the same door.
    rollback(api, lb, latest, false);
    assertThat(live(api, lb)).isEqualTo(strip(today));
    // History is only ever added to: every version, the rollbacks' included, is still there to read.
    assertThat(strip(at(api, lb, 100))).isNotNull();
    assertThat(api.getLb(lb).getVersion()).isEqualTo(latest + 31);
  }

  @Test
  void aDryRunAnswersWhatTheRollbackThenDoesAndWritesNothing() {
    Api api = server.as("rollback-dry-run");
    String lb = api.createLb("dry").getId();
    String pool = api.createPool(lb, "p").getId();
    api.createBackend(lb, pool, "10.1.0.1", 80);
    api.createListener(lb, 80, pool);
    long events = events(api, lb);

    RollbackLoadBalancerResponse dry = rollback(api, lb, 2, true);
    assertThat(dry.getDryRun()).isTrue();
    assertThat(events(api, lb)).isEqualTo(events);
    assertThat(api.getLb(lb).getVersion()).isEqualTo(4);

    RollbackLoadBalancerResponse real = rollback(api, lb, 2, false);
    assertThat(real.getDryRun()).isFalse();
    assertThat(real.getVersion()).isEqualTo(dry.getVersion()).isEqualTo(5);
    assertThat(real.getChangesList()).isEqualTo(dry.getChangesList());
    assertThat(real.getChangesList()).extracting(Change::getType, Change::getResourceKind)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(Change.Type.REMOVED, "listener"),
            org.assertj.core.groups.Tuple.tuple(Change.Type.REMOVED, "backend"));
    assertThat(strip(real.getLoadBalancer())).isEqualTo(strip(dry.getLoadBalancer()));
    assertThat(events(api, lb)).isEqualTo(events + 1);
    List<AuditEvent> all = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb)
        .setPageSize(1000).build()).getEventsList();
    AuditEvent last = all.get(all.size() - 1);
    assertThat(last.getType()).isEqualTo("LoadBalancerRolledBack");
    assertThat(last.getCommand()).isEqualTo("RollbackLoadBalancer");
    assertThat(last.getVersion()).isEqualTo(5);
    assertThat(last.getDetailsJson()).contains("\"fromVersion\":4", "\"toVersion\":2");
  }

  @Test
  void aRollbackSaysHowMuchTrafficItMovesAsTheDryRunDoes() {
    Api api = server.as("rollback-disruption");
    String lb = api.createLb("moves").getId();
    String pool = api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
        .setPool(PoolSpec.newBuilder().setName("maglev").setProtocol(Protocol.TCP).setLbAlgorithm(LbAlgorithm.MAGLEV))
        .build()).getId();
    for (int i = 1; i <= 4; i++) api.createBackend(lb, pool, "10.6.0." + i, 80);
    long fourBackends = api.getLb(lb).getVersion();
    String fifth = api.createBackend(lb, pool, "10.6.0.5", 80).getId();

    RollbackLoadBalancerResponse dry = rollback(api, lb, fourBackends, true);
    RollbackLoadBalancerResponse real = rollback(api, lb, fourBackends, false);
    assertThat(real.getDisruption()).isEqualTo(dry.getDisruption());
    assertThat(real.getDisruption().getPoolsList()).hasSize(1);
    PoolDisruption moved = real.getDisruption().getPools(0);
    assertThat(moved.getPoolId()).isEqualTo(pool);
    assertThat(moved.getBasis()).isEqualTo(PoolDisruption.Basis.TABLE);
    // The fifth backend's share of the 65537-entry table, about 1/5, goes back to the other four (Maglev's refill
    // moves a few entries among those four as well).
    double fromFifth = moved.getMovesList().stream().filter(m -> m.getFromBackendId().equals(fifth))
        .mapToDouble(FlowMove::getFraction).sum();
    assertThat(fromFifth).isBetween(0.18, 0.22);
    assertThat(moved.getMoved()).isBetween(fromFifth, 0.35);
  }

  @Test
  void aRollbackToAPointInTimeTakesTheLastVersionWrittenByThen() throws Exception {
    Api api = server.as("rollback-time");
    String lb = api.createLb("timed").getId();
    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("then")).build());
    var events = api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).build())
        .getEventsList();
    com.google.protobuf.Timestamp then = events.get(events.size() - 1).getTime();
    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("now")).build());
    var r = api.call(api.history().rollbackLoadBalancer(), RollbackLoadBalancerRequest.newBuilder()
        .setLoadBalancerId(lb).setToTime(then).build());
    assertThat(r.getToVersion()).isEqualTo(2);
    assertThat(api.getLb(lb).getDescription()).isEqualTo("then");
  }

  // ------------------------------------------------------------------ conflicts

  @Test
  void aRollbackToANameAnotherLoadBalancerHoldsNowIsRefusedNamingItAndChangesNothing() {
    Api api = server.as("rollback-name");
    String a = api.createLb("alpha").getId();
    api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(a)
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("beta")).build());
    String b = api.createLb("alpha").getId();
    long events = events(api, a);
    assertThatThrownBy(() -> rollback(api, a, 1, false)).satisfies(e -> {
      Status s = TestServer.statusOf(e);
      assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(s.getDescription()).contains("load_balancer.name", "alpha", b);
    });
    assertThatThrownBy(() -> rollback(api, a, 1, true))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThat(events(api, a)).isEqualTo(events);
    assertThat(api.getLb(a).getName()).isEqualTo("beta");
    assertThat(api.getLb(a).getVersion()).isEqualTo(2);
  }

  @Test
  void aRollbackThatWouldPassAQuotaIsRefusedAndChangesNothing() {
    Api api = server.as("rollback-quota");
    String a = api.createLb("a").getId();
    String pool = api.createPool(a, "p").getId();
    var backends = new ArrayList<String>();
    for (int i = 0; i < 30; i++) backends.add(api.createBackend(a, pool, "10.2.0." + (i + 1), 80).getId());
    long full = api.getLb(a).getVersion();
    for (String id : backends) {
      api.call(api.backends().deleteBackend(), DeleteBackendRequest.newBuilder().setLoadBalancerId(a).setId(id).build());
    }
    // Another load balancer of the project takes the room the first gave back (the quota is 60 backends).
    String b = api.createLb("b").getId();
    String poolB = api.createPool(b, "p").getId();
    for (int i = 0; i < 40; i++) api.createBackend(b, poolB, "10.3.0." + (i + 1), 80);
    long events = events(api, a);
    long version = api.getLb(a).getVersion();
    assertThatThrownBy(() -> rollback(api, a, full, false)).satisfies(e -> {
      Status s = TestServer.statusOf(e);
      assertThat(s.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).contains("quota", "70 backends", "limit is 60");
    });
    assertThat(events(api, a)).isEqualTo(events);
    assertThat(api.getLb(a).getVersion()).isEqualTo(version);
    assertThat(listBackends(api, a)).isEmpty();
  }

  @Test
  void aRollbackWithAStaleExpectedVersionIsAborted() {
    Api api = server.as("rollback-stale");
    String a = api.createLb("a").getId();
    api.createPool(a, "p");
    assertThatThrownBy(() -> api.call(api.history().rollbackLoadBalancer(), RollbackLoadBalancerRequest.newBuilder()
        .setLoadBalancerId(a).setToVersion(1).setExpectedVersion(1).build()))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getDescription()).contains("expected_version"));
    assertThat(api.getLb(a).getVersion()).isEqualTo(2);
  }

  // ------------------------------------------------------------------ restore

  @Test
  void aRestoreAfterACascadeDeleteBringsBackTheIdEveryChildAndTheVip() {
    Api api = server.as("restore");
    LoadBalancer created = api.createLb("web");
    String lb = created.getId();
    String hc = api.createHealthCheck(lb).getId();
    String p1 = api.createPool(lb, "p1").getId();
    String p2 = api.createPool(lb, "p2").getId();
    api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb).setId(p1)
        .setPool(PoolSpec.newBuilder().setHealthCheckId(hc)).build());
    api.createListener(lb, 80, p1);
    api.createListener(lb, 443, p2);
    for (int i = 0; i < 5; i++) api.createBackend(lb, i % 2 == 0 ? p1 : p2, "10.4.0." + (i + 1), 8080);
    long before = api.getLb(lb).getVersion();
    LoadBalancerSnapshot then = at(api, lb, before);
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb).setCascade(true).build());
    assertThatThrownBy(() -> api.getLb(lb))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));

    restoreAddingEverything(api, lb);
    LoadBalancer back = api.getLb(lb);
    assertThat(back.getVipAddress()).isEqualTo(created.getVipAddress());
    assertThat(back.getVersion()).isEqualTo(before + 2); // the delete, then the restore
    assertThat(live(api, lb)).isEqualTo(strip(then));
    // It is in the project again: listed, and its name is taken.
    assertThat(api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.newBuilder().setPageSize(1000).build())
        .getLoadBalancersList()).extracting(LoadBalancer::getId).contains(lb);
    assertThatThrownBy(() -> api.createLb("web"))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS));
    // A live load balancer is not restored.
    assertThatThrownBy(() -> restore(api, lb, false))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void aRestoreWhoseVipIsTakenIsRefusedUnlessANewVipIsAskedFor() {
    Api api = server.as("restore-vip");
    LoadBalancer created = api.createLb("old");
    String lb = created.getId();
    String pool = api.createPool(lb, "p").getId();
    api.createListener(lb, 80, pool);
    api.createBackend(lb, pool, "10.5.0.1", 80);
    LoadBalancerSnapshot then = at(api, lb, 4);
    api.call(api.lbs().deleteLoadBalancer(), DeleteLoadBalancerRequest.newBuilder().setId(lb).setCascade(true).build());
    String vip = created.getVipAddress();
    String holder = api.call(api.lbs().createLoadBalancer(), CreateLoadBalancerRequest.newBuilder()
        .setLoadBalancer(LoadBalancerSpec.newBuilder().setName("holder").setVipAddress(vip)).build()).getId();
    long events = events(api, lb);

    for (boolean validateOnly : new boolean[] {true, false}) {
      assertThatThrownBy(() -> api.call(api.history().restoreLoadBalancer(), RestoreLoadBalancerRequest.newBuilder()
          .setId(lb).setValidateOnly(validateOnly).build())).satisfies(e -> {
        Status s = TestServer.statusOf(e);
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).contains("load_balancer.vip_address", vip, "new_vip");
      });
    }
    // The same through a rollback to a version before the delete.
    assertThatThrownBy(() -> rollback(api, lb, 4, false))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThat(events(api, lb)).isEqualTo(events);
    assertThatThrownBy(() -> api.getLb(lb))
        .satisfies(e -> assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(api.getLb(holder).getVipAddress()).isEqualTo(vip);

    var restored = restore(api, lb, true);
    String newVip = api.getLb(lb).getVipAddress();
    assertThat(newVip).isNotEmpty().isNotEqualTo(vip);
    assertThat(restored.getLoadBalancer().getLoadBalancer().getVipAddress()).isEqualTo(newVip);
    assertThat(live(api, lb).toBuilder().setLoadBalancer(live(api, lb).getLoadBalancer().toBuilder().setVipAddress(vip))
        .build()).isEqualTo(strip(then));
  }

  // ------------------------------------------------------------------ helpers

  private static RollbackLoadBalancerResponse rollback(Api api, String lb, long to, boolean dryRun) {
    return api.call(api.history().rollbackLoadBalancer(), RollbackLoadBalancerRequest.newBuilder()
        .setLoadBalancerId(lb).setToVersion(to).setDryRun(dryRun).build());
  }

  private static RollbackLoadBalancerResponse restore(Api api, String lb, boolean newVip) {
    return api.call(api.history().restoreLoadBalancer(), RestoreLoadBalancerRequest.newBuilder().setId(lb)
        .setNewVip(newVip).build());
  }

  private static void restoreAddingEverything(Api api, String lb) {
    var r = restore(api, lb, false);
    assertThat(r.getChangesList()).isNotEmpty().allMatch(c -> c.getType() != Change.Type.REMOVED);
  }

  private static LoadBalancerSnapshot at(Api api, String lb, long version) {
    return api.call(api.audit().getLoadBalancerAt(), GetLoadBalancerAtRequest.newBuilder().setId(lb)
        .setAt(PointInTime.newBuilder().setVersion(version)).build());
  }

  private static long events(Api api, String lb) {
    return api.call(api.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).setPageSize(1000)
        .build()).getEventsCount();
  }

  private static List<Backend> listBackends(Api api, String lb) {
    return api.call(api.backends().listBackends(), ListBackendsRequest.newBuilder().setLoadBalancerId(lb)
        .setPageSize(1000).build()).getBackendsList();
  }

  /** The load balancer and all its children as the live Gets and Lists answer now, stripped as {@link #strip}. */
  private static LoadBalancerSnapshot live(Api api, String lb) {
    var out = LoadBalancerSnapshot.newBuilder().setLoadBalancer(api.getLb(lb));
    out.addAllListeners(api.call(api.listeners().listListeners(), ListListenersRequest.newBuilder()
        .setLoadBalancerId(lb).setPageSize(1000).build()).getListenersList());
    out.addAllPools(api.call(api.pools().listPools(), ListPoolsRequest.newBuilder().setLoadBalancerId(lb)
        .setPageSize(1000).build()).getPoolsList());
    out.addAllBackends(listBackends(api, lb));
    out.addAllHealthChecks(api.call(api.healthChecks().listHealthChecks(), ListHealthChecksRequest.newBuilder()
        .setLoadBalancerId(lb).setPageSize(1000).build()).getHealthChecksList());
    return strip(out.build());
  }

  private static final Set<String> UNCOMPARED = Set.of("version", "updated_at", "sequence_nr");

  /** Without versions and update times (which a rollback sets anew); every other field compared. */
  @SuppressWarnings("unchecked")
  private static <T extends Message> T strip(T m) {
    var b = m.toBuilder();
    for (var f : m.getDescriptorForType().getFields()) {
      if (UNCOMPARED.contains(f.getName())) {
        b.clearField(f);
      } else if (f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE) {
        if (f.isRepeated()) {
          var items = new ArrayList<Object>();
          for (Object o : (List<?>) m.getField(f)) items.add(strip((Message) o));
          b.clearField(f);
          for (Object o : items) b.addRepeatedField(f, o);
        } else if (m.hasField(f)) {
          b.setField(f, strip((Message) m.getField(f)));
        }
      }
    }
    return (T) b.build();
  }

  /**
   * A random history of valid changes to one load balancer, each a new version: creates, updates and deletes of
   * every kind of child, and of the load balancer's own fields. Kept under the quota of 60 backends.
   */
  private static final class Model {
    final Api api;
    final String lb;
    final Random random;
    final Map<String, Integer> listeners = new LinkedHashMap<>(); // id -> port
    final Map<String, String> listenerPool = new LinkedHashMap<>();
    final List<String> pools = new ArrayList<>();
    final Map<String, String> backends = new LinkedHashMap<>(); // id -> pool
    final List<String> healthChecks = new ArrayList<>();
    final Map<String, String> poolCheck = new LinkedHashMap<>();
    int step;

    Model(Api api, String lb, Random random) {
      this.api = api;
      this.lb = lb;
      this.random = random;
    }

    void randomChange() {
      step++;
      while (!tryChange(random.nextInt(12))) {
        // an operation with nothing to act on: draw again
      }
    }

    private <T> T any(java.util.Collection<T> from) {
      return new ArrayList<>(from).get(random.nextInt(from.size()));
    }

    private int freePort() {
      int port;
      do {
        port = 1000 + random.nextInt(500);
      } while (listeners.containsValue(port));
      return port;
    }

    private boolean tryChange(int op) {
      switch (op) {
        case 0 -> api.call(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder().setId(lb)
            .setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("d" + step).addTags("t" + step).setTagsSet(true)
                .setAdminStateUp(random.nextBoolean())).build());
        case 1 -> pools.add(api.call(api.pools().createPool(), CreatePoolRequest.newBuilder().setLoadBalancerId(lb)
            .setPool(PoolSpec.newBuilder().setName("p" + step).setProtocol(Protocol.TCP)
                .setLbAlgorithm(random.nextBoolean() ? LbAlgorithm.ROUND_ROBIN : LbAlgorithm.MAGLEV)).build()).getId());
        case 2 -> {
          var spec = ListenerSpec.newBuilder().setProtocol(Protocol.TCP).setProtocolPort(freePort()).setName("l" + step);
          String pool = pools.isEmpty() || random.nextBoolean() ? "" : any(pools);
          if (!pool.isEmpty()) spec.setDefaultPoolId(pool);
          String id = api.call(api.listeners().createListener(), CreateListenerRequest.newBuilder()
              .setLoadBalancerId(lb).setListener(spec).build()).getId();
          listeners.put(id, spec.getProtocolPort());
          listenerPool.put(id, pool);
        }
        case 3 -> {
          if (pools.isEmpty() || backends.size() >= 40) return false;
          String pool = any(pools);
          backends.put(api.call(api.backends().createBackend(), CreateBackendRequest.newBuilder().setLoadBalancerId(lb)
              .setPoolId(pool).setBackend(BackendSpec.newBuilder().setAddress("10.9." + (step / 250) + "." + (1 + step % 250))
                  .setProtocolPort(8080).setWeight(1 + random.nextInt(5))).build()).getId(), pool);
        }
        case 4 -> healthChecks.add(api.call(api.healthChecks().createHealthCheck(), CreateHealthCheckRequest.newBuilder()
            .setLoadBalancerId(lb).setHealthCheck(HealthCheckSpec.newBuilder().setType(HealthCheck.Type.TCP)
                .setName("h" + step)).build()).getId());
        case 5 -> {
          if (listeners.isEmpty()) return false;
          String id = any(listeners.keySet());
          var spec = ListenerSpec.newBuilder().setDescription("d" + step);
          if (random.nextBoolean()) {
            int port = freePort();
            spec.setProtocolPort(port);
            listeners.put(id, port);
          }
          if (!pools.isEmpty() && random.nextBoolean()) {
            String pool = any(pools);
            spec.setDefaultPoolId(pool);
            listenerPool.put(id, pool);
          }
          api.call(api.listeners().updateListener(), UpdateListenerRequest.newBuilder().setLoadBalancerId(lb).setId(id)
              .setListener(spec).build());
        }
        case 6 -> {
          if (pools.isEmpty()) return false;
          String id = any(pools);
          var spec = PoolSpec.newBuilder().setDescription("d" + step);
          if (!healthChecks.isEmpty() && random.nextBoolean()) {
            String hc = any(healthChecks);
            spec.setHealthCheckId(hc);
            poolCheck.put(id, hc);
          }
          api.call(api.pools().updatePool(), UpdatePoolRequest.newBuilder().setLoadBalancerId(lb).setId(id)
              .setPool(spec).build());
        }
        case 7 -> {
          if (backends.isEmpty()) return false;
          api.call(api.backends().updateBackend(), UpdateBackendRequest.newBuilder().setLoadBalancerId(lb)
              .setId(any(backends.keySet())).setBackend(BackendSpec.newBuilder().setName("b" + step)
                  .setWeight(random.nextInt(10)).setAdminStateUp(random.nextBoolean())).build());
        }
        case 8 -> {
          if (healthChecks.isEmpty()) return false;
          api.call(api.healthChecks().updateHealthCheck(), UpdateHealthCheckRequest.newBuilder().setLoadBalancerId(lb)
              .setId(any(healthChecks)).setHealthCheck(HealthCheckSpec.newBuilder().setName("h" + step)
                  .setRise(1 + random.nextInt(5))).build());
        }
        case 9 -> {
          if (backends.isEmpty()) return false;
          String id = any(backends.keySet());
          api.call(api.backends().deleteBackend(), DeleteBackendRequest.newBuilder().setLoadBalancerId(lb).setId(id)
              .build());
          backends.remove(id);
        }
        case 10 -> {
          if (listeners.isEmpty()) return false;
          String id = any(listeners.keySet());
          api.call(api.listeners().deleteListener(), DeleteListenerRequest.newBuilder().setLoadBalancerId(lb).setId(id)
              .build());
          listeners.remove(id);
          listenerPool.remove(id);
        }
        case 11 -> {
          var free = new ArrayList<>(pools);
          free.removeAll(listenerPool.values());
          if (free.isEmpty()) return false;
          String id = any(free);
          api.call(api.pools().deletePool(), DeletePoolRequest.newBuilder().setLoadBalancerId(lb).setId(id).build());
          pools.remove(id);
          poolCheck.remove(id);
          backends.values().removeIf(id::equals);
        }
        default -> throw new IllegalArgumentException("op " + op);
      }
      return true;
    }
  }
}
