package io.fiberlb.dataplane.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.dataplane.health.HealthMonitor.PassiveFailure;
import io.fiberlb.dataplane.health.HealthMonitor.Reconfigure;
import io.fiberlb.dataplane.health.HealthMonitor.Target;
import io.fiberlb.dataplane.health.HealthMonitor.Transition;
import io.fiberlb.dataplane.health.TestBackends.HttpBackend;
import io.fiberlb.dataplane.health.TestBackends.RawBackend;
import io.fiberlb.dataplane.stats.BackendHealthGauge;
import io.fiberlb.it.Poll;
import io.fiberlb.port.DesiredHealthCheck;
import io.fiberlb.port.HealthCheckType;
import io.fiberlb.it.UdpEchoBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The health monitor against real backends on loopback ports: TCP and HTTP probes, the failure reasons users see,
 * rise/fall counting (with the listener's passive failures), reconfiguration, and one report per transition.
 *
 * <p>Every transition is recorded with the gauge's probe counts at the moment it was reported, so a test can say
 * how many probes it took without timing anything. To show that nothing was reported in between, a test makes a
 * later transition happen on purpose and checks that it is the next message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthMonitorTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /**
   * The probe timeout (ms) of tests that count probes or expect a reason other than "timeout": long enough that a
   * refused, reset or answered probe is never judged a timeout on a loaded machine, which would change the reason
   * reported or restart the rise/fall count. A probe that gets its verdict sooner is not slowed by it.
   */
  private static final long LOADED = 2_000;

  private final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.log-dead-letters = off
      """).withFallback(ConfigFactory.load()));
  private final List<AutoCloseable> backends = new ArrayList<>();

  /** A transition and the gauge's counts when it was reported. */
  record Seen(Transition transition, long probes, long failures) {
    long successes() {
      return probes - failures;
    }
  }

  @AfterEach
  void stopBackends() throws Exception {
    for (AutoCloseable b : backends) b.close();
    backends.clear();
  }

  @AfterAll
  void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void tcpGoesDownAfterFallRefusalsAndUpAfterRiseSuccesses() throws Exception {
    RawBackend backend = raw(TestBackends.READ_TO_EOF);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(
        check(HealthCheckType.TCP, 150, LOADED, 2, 3, "200"), target("b1", backend.port), true, recorder(gauge, seen),
        gauge));

    awaitAtLeast(() -> gauge.probes.sum(), 2);
    assertThat(gauge.probeFailures.sum()).isZero();
    assertThat(gauge.state).isEqualTo(BackendHealthGauge.UP);

    backend.stop();
    Seen down = seen.expectMessageClass(Seen.class, WAIT);
    assertThat(down.transition()).isEqualTo(new Transition("b1", false, "refused"));
    assertThat(down.failures()).as("failed probes when DOWN was reported").isEqualTo(3);
    assertThat(gauge.state).isEqualTo(BackendHealthGauge.DOWN);

    // More refusals while DOWN report nothing; back on the same port, two successes bring it UP.
    awaitAtLeast(() -> gauge.probeFailures.sum(), down.failures() + 3);
    long successesBefore = gauge.probes.sum() - gauge.probeFailures.sum();
    backend.restart();
    Seen up = seen.expectMessageClass(Seen.class, WAIT);
    assertThat(up.transition()).as("the next report after DOWN").isEqualTo(new Transition("b1", true, "passed 2 checks"));
    assertThat(up.successes() - successesBefore).as("successful probes when UP was reported").isEqualTo(2);
    assertThat(gauge.state).isEqualTo(BackendHealthGauge.UP);

    long successesAtUp = gauge.probes.sum() - gauge.probeFailures.sum();
    int acceptedAtUp = backend.accepted.get();
    awaitAtLeast(() -> gauge.probes.sum() - gauge.probeFailures.sum(), successesAtUp + 3);
    assertThat(backend.accepted.get() - acceptedAtUp).as("probe connections since UP").isGreaterThanOrEqualTo(3);
    // Each probe closes its connection once connected: between probes, every accepted one has been closed. (Counted
    // by the backend's open connections: accepted - closedByClient would also count a connection that backend.stop()
    // cut above while a probe had it open, which the probe can no longer close.)
    assertThat(Poll.until(WAIT, backend::openConnections, open -> open == 0)).as("probe connections left open").isZero();

    backend.stop();
    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition()).as("the next report after UP")
        .isEqualTo(new Transition("b1", false, "refused"));
    testKit.stop(monitor);
  }

  @Test
  void udpConnectFailsOnPortUnreachableAndPassesOnAReplyOrOnSilence() throws Exception {
    UdpEchoBackend echo = new UdpEchoBackend("u");
    backends.add(echo);
    int port = echo.port();
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(
        check(HealthCheckType.UDP_CONNECT, 150, 1_000, 2, 2, "200"), target("u1", port), true, recorder(gauge, seen),
        gauge));
    awaitAtLeast(() -> gauge.probes.sum(), 2);
    assertThat(gauge.probeFailures.sum()).isZero();
    assertThat(echo.received.get()).as("probe datagrams that reached the backend").isGreaterThanOrEqualTo(2);

    echo.stop(); // a closed port: ICMP port unreachable
    Seen down = seen.expectMessageClass(Seen.class, WAIT);
    assertThat(down.transition()).isEqualTo(new Transition("u1", false, "refused"));
    assertThat(down.failures()).isEqualTo(2);
    echo.start(port);
    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
        .isEqualTo(new Transition("u1", true, "passed 2 checks"));
    testKit.stop(monitor);

    // A backend that never answers: silence until the timeout passes, as Octavia's UDP-CONNECT has it.
    UdpEchoBackend quiet = UdpEchoBackend.silent("q");
    backends.add(quiet);
    var quietGauge = new BackendHealthGauge();
    TestProbe<Seen> quietSeen = testKit.createTestProbe();
    ActorRef<HealthMonitor.Command> quietMonitor = testKit.spawn(HealthMonitor.create(
        check(HealthCheckType.UDP_CONNECT, 150, 1_000, 2, 2, "200"), target("q1", quiet.port()), false,
        recorder(quietGauge, quietSeen), quietGauge));
    Seen up = quietSeen.expectMessageClass(Seen.class, WAIT);
    assertThat(up.transition()).isEqualTo(new Transition("q1", true, "passed 2 checks"));
    assertThat(up.failures()).isZero();
    assertThat(quiet.received.get()).as("the silent backend got the probes").isGreaterThanOrEqualTo(2);
    testKit.stop(quietMonitor);
  }

  @Test
  void httpStatusIsMatchedAgainstExpectedCodes() throws Exception {
    var http = new HttpBackend(200);
    backends.add(http);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    DesiredHealthCheck only200 = check(HealthCheckType.HTTP, 150, LOADED, 1, 1, "200");
    Target target = target("b2", http.port);
    ActorRef<HealthMonitor.Command> monitor =
        testKit.spawn(HealthMonitor.create(only200, target, false, recorder(gauge, seen), gauge));

    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
        .isEqualTo(new Transition("b2", true, "passed 1 check"));
    HttpBackend.Request request = http.requests.get(0);
    assertThat(request.method()).isEqualTo("GET");
    assertThat(request.path()).isEqualTo("/healthz");
    assertThat(request.headers().getFirst("Host")).isEqualTo("127.0.0.1:" + http.port);
    assertThat(request.headers().getFirst("User-Agent")).isEqualTo("FiberLB-health");
    assertThat(request.headers().getFirst("Connection")).isEqualTo("close");

    http.status.set(503);
    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
        .isEqualTo(new Transition("b2", false, "bad status 503"));

    // 204 is not "200": probes keep failing. Two more failures mean at least one probe saw the 204.
    http.status.set(204);
    long failures = gauge.probeFailures.sum();
    awaitAtLeast(() -> gauge.probeFailures.sum(), failures + 2);
    assertThat(gauge.state).isEqualTo(BackendHealthGauge.DOWN);

    monitor.tell(new Reconfigure(check(HealthCheckType.HTTP, 150, LOADED, 1, 1, "200-299"), target));
    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
        .isEqualTo(new Transition("b2", true, "passed 1 check"));
  }

  @Test
  void httpFailuresHaveShortStableReasons() throws Exception {
    assertThat(firstFailure(TestBackends.SILENT, 300)).isEqualTo("timeout");
    // A timeout of 100 ms made these flaky on a loaded machine: the reset or the answer came after the deadline.
    assertThat(firstFailure(TestBackends.RESET, LOADED)).isEqualTo("reset");
    assertThat(firstFailure(TestBackends.CLOSE, LOADED)).isEqualTo("no status line");
    assertThat(firstFailure(TestBackends.GARBAGE, LOADED)).isEqualTo("malformed response");
  }

  @Test
  void aProbeThatGetsNoAnswerTimesOutAndClosesItsConnection() throws Exception {
    RawBackend silent = raw(TestBackends.SILENT);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    testKit.spawn(HealthMonitor.create(check(HealthCheckType.HTTP, 150, 100, 1, 2, "200"), target("b3", silent.port),
        true, recorder(gauge, seen), gauge));

    Seen down = seen.expectMessageClass(Seen.class, WAIT);
    assertThat(down.transition()).isEqualTo(new Transition("b3", false, "timeout"));
    assertThat(down.failures()).isEqualTo(2);
    // The backend never answers, so only the probe can have closed these connections.
    assertThat(Poll.until(WAIT, silent.closedByClient::get, n -> n >= 2)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aProbeThatTimesOutWhileConnectingLeavesNoSocketBehind() throws Exception {
    // A backend whose accept queue is full: the kernel drops each new SYN, so every probe times out while Pekko is
    // still connecting. A socket the probe left behind would keep retrying its SYN (after 1 s, 3 s, 7 s) and be
    // accepted once the queue has room; a closed one never comes.
    try (var server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      var fillers = new ArrayList<java.net.Socket>();
      try {
        while (true) { // the queue holds backlog + 1; the connect after that waits for a SYN-ACK that never comes
          var s = new java.net.Socket();
          try {
            s.connect(server.getLocalSocketAddress(), 300);
          } catch (java.net.SocketTimeoutException full) {
            s.close(); // its SYN must not be retried either
            break;
          }
          fillers.add(s);
          assertThat(fillers).as("the accept queue never filled").hasSizeLessThan(64);
        }
        var gauge = new BackendHealthGauge();
        TestProbe<Seen> seen = testKit.createTestProbe();
        ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(
            check(HealthCheckType.TCP, 250, 200, 1, 1, "200"), target("b5", server.getLocalPort()), true,
            recorder(gauge, seen), gauge));
        assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
            .isEqualTo(new Transition("b5", false, "timeout"));
        awaitAtLeast(() -> gauge.probeFailures.sum(), 4);
        testKit.stop(monitor);
        assertThat(gauge.probes.sum()).as("no probe connected").isEqualTo(gauge.probeFailures.sum());

        server.setSoTimeout(4_000); // past the second SYN retry of every probe socket
        int accepted = 0;
        var extra = new ArrayList<String>();
        while (true) {
          try (java.net.Socket c = server.accept()) {
            if (++accepted > fillers.size()) extra.add(c.getRemoteSocketAddress().toString());
          } catch (java.net.SocketTimeoutException quiet) {
            break;
          }
        }
        assertThat(extra).as("connections from probes that had timed out").isEmpty();
        assertThat(accepted).as("the queued fillers").isEqualTo(fillers.size());
      } finally {
        for (var f : fillers) f.close();
      }
    }
  }

  @Test
  void passiveFailuresCountTowardFallAndAProbeSuccessResetsThem() throws Exception {
    RawBackend backend = raw(TestBackends.READ_TO_EOF);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    DesiredHealthCheck check = check(HealthCheckType.TCP, 200, LOADED, 1, 3, "200");
    Target target = target("b4", backend.port);
    ActorRef<HealthMonitor.Command> monitor =
        testKit.spawn(HealthMonitor.create(check, target, true, recorder(gauge, seen), gauge));

    awaitAtLeast(() -> gauge.probes.sum(), 1);
    monitor.tell(new PassiveFailure("early-1"));
    monitor.tell(new PassiveFailure("early-2"));
    // A successful probe after them starts the count again.
    long probes = gauge.probes.sum();
    awaitAtLeast(() -> gauge.probes.sum(), probes + 1);
    assertThat(gauge.probeFailures.sum()).isZero();

    monitor.tell(new PassiveFailure("refused (passive) 1"));
    // Handing over the same probe again (any change of the load balancer republishes it) changes nothing, the count
    // included.
    monitor.tell(new Reconfigure(copy(check), target));
    monitor.tell(new PassiveFailure("refused (passive) 2"));
    monitor.tell(new PassiveFailure("refused (passive) 3"));
    Seen down = seen.expectMessageClass(Seen.class, WAIT);
    assertThat(down.transition()).as("the third passive failure after a success")
        .isEqualTo(new Transition("b4", false, "refused (passive) 3"));
    assertThat(gauge.probeFailures.sum()).as("passive failures are not probes").isZero();

    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition())
        .isEqualTo(new Transition("b4", true, "passed 1 check"));
  }

  @Test
  void reconfigureProbesTheNewTargetAndIgnoresTheOldProbe() throws Exception {
    RawBackend oldBackend = raw(TestBackends.SILENT);
    var newBackend = new HttpBackend(200);
    backends.add(newBackend);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    // A slow check first, so that its probe of the silent backend is surely still waiting when the change comes.
    ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(
        check(HealthCheckType.HTTP, 3_000, 2_500, 1, 1, "200"), target("old", oldBackend.port), true,
        recorder(gauge, seen), gauge));
    awaitAtLeast(oldBackend.accepted::get, 1);

    monitor.tell(new Reconfigure(check(HealthCheckType.HTTP, 150, LOADED, 1, 1, "200"), target("new", newBackend.port)));
    awaitAtLeast(() -> gauge.probes.sum(), 3);
    assertThat(gauge.probeFailures.sum()).as("the old probe's result is not counted").isZero();
    assertThat(newBackend.requests).hasSizeGreaterThanOrEqualTo(3);
    assertThat(newBackend.requests.get(0).headers().getFirst("Host")).isEqualTo("127.0.0.1:" + newBackend.port);
    assertThat(oldBackend.accepted.get()).isEqualTo(1);
    // The old probe's connection was dropped when the check changed, long before its 2.5 s timeout.
    assertThat(Poll.until(WAIT, oldBackend.closedByClient::get, n -> n == 1)).isEqualTo(1);

    newBackend.close();
    assertThat(seen.expectMessageClass(Seen.class, WAIT).transition()).as("the first report")
        .isEqualTo(new Transition("new", false, "refused"));
  }

  // ------------------------------------------------------------------ helpers

  /** The reason of the first failed HTTP probe against a backend running {@code script}. */
  private String firstFailure(TestBackends.Script script, long timeoutMs) throws Exception {
    RawBackend backend = raw(script);
    var gauge = new BackendHealthGauge();
    TestProbe<Seen> seen = testKit.createTestProbe();
    ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(
        check(HealthCheckType.HTTP, 150, timeoutMs, 1, 1, "200"), target("b", backend.port), true, recorder(gauge, seen),
        gauge));
    Seen down = seen.expectMessageClass(Seen.class, WAIT);
    testKit.stop(monitor);
    assertThat(down.transition().up()).isFalse();
    return down.transition().reason();
  }

  private RawBackend raw(TestBackends.Script script) throws Exception {
    var b = new RawBackend(script);
    backends.add(b);
    return b;
  }

  /** A report target that notes the gauge's counts as each transition arrives, then hands it to {@code seen}. */
  private ActorRef<Transition> recorder(BackendHealthGauge gauge, TestProbe<Seen> seen) {
    Behavior<Transition> b = Behaviors.receiveMessage(t -> {
      seen.ref().tell(new Seen(t, gauge.probes.sum(), gauge.probeFailures.sum()));
      return Behaviors.same();
    });
    return testKit.spawn(b);
  }

  private static void awaitAtLeast(LongSupplier value, long atLeast) {
    long v = Poll.until(WAIT, value::getAsLong, n -> n >= atLeast);
    assertThat(v).isGreaterThanOrEqualTo(atLeast);
  }

  private static Target target(String backendId, int port) {
    return new Target(backendId, "127.0.0.1", port);
  }

  private static DesiredHealthCheck check(HealthCheckType type, long intervalMs, long timeoutMs, int rise, int fall,
      String expectedCodes) {
    return new DesiredHealthCheck("hc", type, intervalMs, timeoutMs, rise, fall, "GET", "/healthz", expectedCodes,
        true);
  }

  /** The same probe as a new value, as a republished load balancer hands it over again. */
  private static DesiredHealthCheck copy(DesiredHealthCheck c) {
    return new DesiredHealthCheck(new String(c.id()), c.type(), c.intervalMs(), c.timeoutMs(), c.rise(), c.fall(),
        c.httpMethod(), c.urlPath(), c.expectedCodes(), c.adminStateUp());
  }
}
