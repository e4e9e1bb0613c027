package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static io.fiberlb.dataplane.balance.Fixtures.named;
import static io.fiberlb.dataplane.balance.Fixtures.sequence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The holder: snapshots swapped on health and configuration changes. */
class PoolBalancerTest {
  @Test
  void healthChangesSwapTheSnapshot() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abc", 1, 1, 1));
    assertThat(pool.setHealthy("b:80", false)).isTrue();
    assertThat(pool.setHealthy("b:80", false)).as("no change").isFalse();
    assertThat(pool.setHealthy("z:80", false)).as("unknown").isFalse();
    assertThat(pool.candidates()).extracting(Endpoint::address).containsExactly("a", "c");
    assertThat(sequence(pool, 4)).doesNotContain("b");
    pool.setHealthy("b:80", true);
    assertThat(pool.candidates()).extracting(Endpoint::address).containsExactly("a", "b", "c");
    assertThat(pool.endpoints()).extracting(Endpoint::healthy).containsExactly(true, true, true);
  }

  @Test
  void backupsTakeOverWhenTheLastPrimaryGoesDownAndHandBack() {
    List<Endpoint> endpoints = List.of(Endpoint.of("p", 80), Endpoint.of("q", 80), Endpoint.of("s", 80, 1, true));
    PoolBalancer pool = PoolBalancer.create(Algorithm.LEAST_CONNECTIONS, endpoints);
    pool.setHealthy("p:80", false);
    assertThat(sequence(pool, 3)).containsOnly("q");
    pool.setHealthy("q:80", false);
    assertThat(sequence(pool, 3)).containsOnly("s");
    pool.setHealthy("s:80", false);
    assertThat(pool.pick(client(1))).isNull();
    pool.setHealthy("q:80", true);
    assertThat(sequence(pool, 3)).containsOnly("q");
  }

  @Test
  void aConfigurationUpdateKeepsHealthAndOpenConnectionCounts() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.LEAST_CONNECTIONS, named("ab", 1, 1));
    Endpoint a = pool.endpoints().get(0);
    a.connectionOpened();
    a.connectionOpened();
    pool.setHealthy("b:80", false);

    // The control plane sends fresh objects: a reweighted, b unchanged, c new, nothing else.
    pool.update(named("abc", 3, 1, 1));
    Endpoint newA = pool.endpoints().get(0);
    assertThat(newA.weight()).isEqualTo(3);
    assertThat(newA.openConnections()).isEqualTo(2);
    assertThat(pool.endpoints().get(1).healthy()).as("b keeps its health").isFalse();
    assertThat(pool.endpoints().get(2).healthy()).isTrue();
    a.connectionClosed(); // a connection opened before the update closes after it
    assertThat(newA.openConnections()).isEqualTo(1);

    pool.update(named("c", 1));
    assertThat(pool.endpoints()).extracting(Endpoint::address).containsExactly("c");
    assertThatThrownBy(() -> pool.update(List.of(Endpoint.of("x", 1), Endpoint.of("x", 1))))
        .hasMessageContaining("duplicate");
    assertThat(pool.endpoints()).extracting(Endpoint::address).containsExactly("c");
  }

  @Test
  void maglevComesBackToTheSameAssignmentAfterAFlap() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.MAGLEV, Fixtures.endpoints(10, i -> 1));
    String[] before = new String[1_000];
    for (int i = 0; i < before.length; i++) before[i] = pool.pick(client(i)).key();
    pool.setHealthy("10.0.0.4:8080", false);
    for (int i = 0; i < before.length; i++) assertThat(pool.pick(client(i)).key()).isNotEqualTo("10.0.0.4:8080");
    pool.setHealthy("10.0.0.4:8080", true);
    for (int i = 0; i < before.length; i++) assertThat(pool.pick(client(i)).key()).isEqualTo(before[i]);
  }

  /**
   * Pickers on three threads while another flips one endpoint up and down: a pick always sees a whole snapshot, so
   * it never returns null (b is always up) and never the endpoint that was down all along.
   */
  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void picksRacingWithSwapsAlwaysSeeAWholeSnapshot(Algorithm algorithm) throws Exception {
    List<Endpoint> endpoints = new ArrayList<>(named("abc", 2, 1, 1));
    endpoints.set(2, endpoints.get(2).withHealthy(false));
    PoolBalancer pool = PoolBalancer.create(algorithm, endpoints);
    ConnectionKey[] clients = new ConnectionKey[1024];
    for (int i = 0; i < clients.length; i++) clients[i] = client(i);
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger flips = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread flipper = new Thread(() -> {
      while (!done.get()) pool.setHealthy("a:80", flips.incrementAndGet() % 2 == 0);
    });
    flipper.start();
    List<Thread> pickers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread thread = new Thread(() -> {
        try {
          for (int i = 0; i < 20_000 || flips.get() < 20; i++) {
            Endpoint e = pool.pick(clients[i & 1023]);
            if (e == null || e.address().equals("c")) throw new AssertionError("picked " + e);
          }
        } catch (Throwable ex) {
          failure.compareAndSet(null, ex);
        }
      });
      thread.start();
      pickers.add(thread);
    }
    for (Thread thread : pickers) thread.join();
    done.set(true);
    flipper.join();
    assertThat(failure.get()).isNull();
    assertThat(flips.get()).isGreaterThanOrEqualTo(20);
  }
}
