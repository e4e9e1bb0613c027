package io.fiberlb.dataplane.balance;

import static io.fiberlb.dataplane.balance.Fixtures.client;
import static io.fiberlb.dataplane.balance.Fixtures.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Session persistence SOURCE_IP: the affinity table and how the pool uses it. */
class SessionPersistenceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);

  private AffinityTable table(int maxEntries) {
    return AffinityTable.create(TIMEOUT, maxEntries, clock::get);
  }

  private void advance(Duration d) {
    clock.addAndGet(d.toNanos());
  }

  /** Same client address, another source port: a new connection of the same client. */
  private static ConnectionKey sameClientNewPort(int port) {
    return ConnectionKey.of(Fixtures.ip(203, 0, 113, 5), port);
  }

  @Test
  void aClientSticksWithinTheTimeoutMeasuredFromItsLastConnection() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abc", 1, 1, 1), table(1024));
    Endpoint first = pool.pick(sameClientNewPort(40000));
    assertThat(first.address()).isEqualTo("a");
    Set<String> others = new HashSet<>();
    for (int i = 1; i <= 10; i++) {
      advance(TIMEOUT.minusSeconds(1)); // each connection refreshes the last-seen time
      assertThat(pool.pick(sameClientNewPort(40000 + i))).isSameAs(first);
      others.add(pool.pick(client(i)).address());
    }
    assertThat(others).as("other clients still rotate").containsExactlyInAnyOrder("a", "b", "c");
  }

  @Test
  void aClientIsForgottenAfterTheTimeout() {
    AffinityTable affinity = table(1024);
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abc", 1, 1, 1), affinity);
    assertThat(pool.pick(sameClientNewPort(40000)).address()).isEqualTo("a");
    assertThat(affinity.size()).isEqualTo(1);
    advance(TIMEOUT.minusNanos(1));
    assertThat(affinity.size()).isEqualTo(1);
    advance(Duration.ofNanos(1));
    assertThat(affinity.size()).isZero();
    assertThat(pool.pick(sameClientNewPort(40001)).address()).as("rotation goes on: b").isEqualTo("b");
    assertThat(pool.pick(sameClientNewPort(40002)).address()).as("and sticks again").isEqualTo("b");
  }

  @Test
  void theTableIsBoundedAndForgetsTheIdlestFirst() {
    AffinityTable affinity = table(64);
    assertThat(affinity.capacity()).isEqualTo(64);
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abc", 1, 1, 1), affinity);
    for (int i = 0; i < 10_000; i++) {
      pool.pick(client(i));
      assertThat(affinity.size()).isLessThanOrEqualTo(64);
    }
    assertThat(affinity.size()).isGreaterThan(48); // it is used, not emptied
    // A recently seen client survives a flood of new ones in its set better than idle ones: touch one client
    // between every new one, and it is never evicted.
    ConnectionKey regular = client(20_000);
    Endpoint home = pool.pick(regular);
    for (int i = 0; i < 5_000; i++) {
      advance(Duration.ofMillis(1));
      pool.pick(client(30_000 + i));
      assertThat(pool.pick(regular)).isSameAs(home);
    }
    assertThat(AffinityTable.create(TIMEOUT, 10).capacity()).isEqualTo(16);
    assertThatThrownBy(() -> AffinityTable.create(Duration.ZERO, 10)).hasMessageContaining("timeout");
    assertThatThrownBy(() -> AffinityTable.create(TIMEOUT, 0)).hasMessageContaining("maxEntries");
  }

  @Test
  void aPinToAnEndpointThatWentDownIsReplaced() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("abc", 1, 1, 1), table(1024));
    assertThat(pool.pick(sameClientNewPort(1)).address()).isEqualTo("a");
    pool.setHealthy("a:80", false);
    Endpoint moved = pool.pick(sameClientNewPort(2));
    assertThat(moved.address()).isNotEqualTo("a");
    pool.setHealthy("a:80", true);
    assertThat(pool.pick(sameClientNewPort(3))).as("the new pin holds").isSameAs(pool.endpoints().stream()
        .filter(e -> e.key().equals(moved.key())).findFirst().orElseThrow());
  }

  @Test
  void drainingStopsNewClientsButRememberedOnesFinish() {
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, named("ab", 1, 1), table(1024));
    assertThat(pool.pick(sameClientNewPort(1)).address()).isEqualTo("a");
    pool.update(named("ab", 0, 1)); // a drains
    for (int i = 0; i < 5; i++) assertThat(pool.pick(client(i)).address()).isEqualTo("b");
    assertThat(pool.pick(sameClientNewPort(2)).address()).isEqualTo("a");
    advance(TIMEOUT);
    assertThat(pool.pick(sameClientNewPort(3)).address()).isEqualTo("b");
  }

  @Test
  void aPinToABackupIsDroppedWhenAPrimaryIsBack() {
    List<Endpoint> endpoints = List.of(Endpoint.of("p", 80), Endpoint.of("s", 80, 1, true));
    PoolBalancer pool = PoolBalancer.create(Algorithm.ROUND_ROBIN, endpoints, table(1024));
    pool.setHealthy("p:80", false);
    assertThat(pool.pick(sameClientNewPort(1)).address()).isEqualTo("s");
    pool.setHealthy("p:80", true);
    assertThat(pool.pick(sameClientNewPort(2)).address()).isEqualTo("p");
  }

  @Test
  void concurrentConnectionsOfManyClientsEachStayOnOneEndpoint() throws Exception {
    AffinityTable affinity = AffinityTable.create(Duration.ofMinutes(5), 4096);
    PoolBalancer pool = PoolBalancer.create(Algorithm.RANDOM_TWO_CHOICES, Fixtures.endpoints(10, i -> 1), affinity);
    int clients = 500;
    String[][] seen = new String[4][clients * 20];
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      threads.add(new Thread(() -> {
        for (int round = 0; round < 20; round++) {
          for (int c = 0; c < clients; c++) {
            seen[thread][round * clients + c] = pool.pick(ConnectionKey.of(client(c).clientAddress(), thread)).key();
          }
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) t.join();
    // After its first round a client has one endpoint for good, whichever thread serves it.
    for (int c = 0; c < clients; c++) {
      Set<String> later = new HashSet<>();
      for (int t = 0; t < 4; t++) for (int round = 1; round < 20; round++) later.add(seen[t][round * clients + c]);
      assertThat(later).as("client %d", c).hasSize(1);
    }
  }
}
