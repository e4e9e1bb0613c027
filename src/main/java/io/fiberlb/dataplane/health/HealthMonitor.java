package io.fiberlb.dataplane.health;

import io.fiberlb.dataplane.stats.BackendHealthGauge;
import io.fiberlb.port.DesiredHealthCheck;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Probes one backend on its pool's health check and reports UP/DOWN transitions (never single probes), so that the
 * entity persists a fact only when the verdict changes.
 *
 * <p>A verdict changes after {@code fall} consecutive failures while UP (probe failures and passive failures from
 * the listener both count) or {@code rise} consecutive successes while DOWN. Probes run one at a time, about one
 * {@code interval} apart start to start, with +/-10% jitter; the first waits a random fraction of an interval, so
 * that the monitors of many backends started together do not probe in lockstep.
 */
public final class HealthMonitor {
  private HealthMonitor() {}

  public sealed interface Command {}

  /** Where to probe: the backend's address and its monitor port (or service port). */
  public record Target(String backendId, String address, int port) {}

  /** The health check or the target changed: probe this from now on, keeping the current verdict. */
  public record Reconfigure(DesiredHealthCheck check, Target target) implements Command {}

  /** The listener failed to connect to this backend: counts as one failed probe ({@code reason}: refused, timeout). */
  public record PassiveFailure(String reason) implements Command {}

  /** Sent to {@code reportTo} when the verdict changes. */
  public record Transition(String backendId, boolean up, String reason) {}

  /** Time for the next probe. */
  private enum Tick implements Command { INSTANCE }

  /** A probe finished; {@code generation} tells a result of the current configuration from a stale one. */
  private record Probed(long generation, Probe.Result result) implements Command {}

  public static Behavior<Command> create(DesiredHealthCheck check, Target target, boolean initiallyUp,
      ActorRef<Transition> reportTo, BackendHealthGauge gauge) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Monitor(ctx, timers, reportTo, gauge, check, target, initiallyUp).behavior()));
  }

  /** The mutable state of one monitor, confined to its actor. */
  private static final class Monitor {
    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final ActorRef<Transition> reportTo;
    private final BackendHealthGauge gauge;

    private DesiredHealthCheck check;
    private Target target;
    private Probe probe;
    private boolean up;
    private int successes;
    private int failures;
    private long generation;
    private Probe.Running inFlight;
    private long inFlightStarted;

    Monitor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<Transition> reportTo,
        BackendHealthGauge gauge, DesiredHealthCheck check, Target target, boolean initiallyUp) {
      this.ctx = ctx;
      this.timers = timers;
      this.reportTo = reportTo;
      this.gauge = gauge;
      this.up = initiallyUp;
      gauge.state = up ? BackendHealthGauge.UP : BackendHealthGauge.DOWN;
      adopt(check, target);
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessageEquals(Tick.INSTANCE, this::onTick)
          .onMessage(Probed.class, this::onProbed)
          .onMessage(PassiveFailure.class, this::onPassiveFailure)
          .onMessage(Reconfigure.class, this::onReconfigure)
          .onSignal(PostStop.class, signal -> {
            cancelInFlight();
            return Behaviors.same();
          })
          .build();
    }

    private Behavior<Command> onTick() {
      long gen = generation;
      long started = System.nanoTime();
      inFlightStarted = started;
      inFlight = probe.start(ctx.getSystem());
      ctx.pipeToSelf(inFlight.result(), (result, failure) -> new Probed(gen, result != null ? result
          : new Probe.Result(false, Probe.reason(failure), System.nanoTime() - started)));
      return Behaviors.same();
    }

    private Behavior<Command> onProbed(Probed p) {
      if (p.generation != generation) return Behaviors.same();
      inFlight = null;
      Probe.Result r = p.result;
      gauge.probed(r.ok(), r.nanos());
      if (r.ok()) passed();
      else failed(r.reason());
      // About one interval from the start of this probe to the start of the next.
      long elapsedMs = (System.nanoTime() - inFlightStarted) / 1_000_000;
      timers.startSingleTimer(Tick.INSTANCE, Duration.ofMillis(Math.max(0, jittered(check.intervalMs()) - elapsedMs)));
      return Behaviors.same();
    }

    private Behavior<Command> onPassiveFailure(PassiveFailure f) {
      failed(f.reason());
      return Behaviors.same();
    }

    private Behavior<Command> onReconfigure(Reconfigure r) {
      // The caller may hand over the same check again on any change of the load balancer: only what the probe
      // uses counts, so that unrelated edits (a name, a tag) do not keep resetting the counts.
      if (Probe.of(r.check(), r.target()).equals(probe) && r.target().equals(target)
          && r.check().intervalMs() == check.intervalMs() && r.check().rise() == check.rise()
          && r.check().fall() == check.fall()) {
        check = r.check();
        return Behaviors.same();
      }
      cancelInFlight();
      adopt(r.check(), r.target());
      return Behaviors.same();
    }

    /** Probe this from now on: a new generation, counts from zero, the first probe within one interval. */
    private void adopt(DesiredHealthCheck newCheck, Target newTarget) {
      check = newCheck;
      target = newTarget;
      probe = Probe.of(newCheck, newTarget);
      generation++;
      successes = 0;
      failures = 0;
      long first = (long) (ThreadLocalRandom.current().nextDouble() * newCheck.intervalMs());
      timers.startSingleTimer(Tick.INSTANCE, Duration.ofMillis(first));
    }

    private void passed() {
      failures = 0;
      successes++;
      int rise = Math.max(1, check.rise());
      if (!up && successes >= rise) {
        transition(true, "passed " + rise + (rise == 1 ? " check" : " checks"));
      }
    }

    private void failed(String reason) {
      successes = 0;
      failures++;
      if (up && failures >= Math.max(1, check.fall())) {
        transition(false, reason);
      }
    }

    private void transition(boolean nowUp, String reason) {
      up = nowUp;
      successes = 0;
      failures = 0;
      gauge.state = up ? BackendHealthGauge.UP : BackendHealthGauge.DOWN;
      ctx.getLog().info("Backend {} at {}:{} is {} ({})", target.backendId(), target.address(), target.port(),
          up ? "UP" : "DOWN", reason);
      reportTo.tell(new Transition(target.backendId(), up, reason));
    }

    private void cancelInFlight() {
      if (inFlight != null) {
        inFlight.cancel();
        inFlight = null;
      }
    }

    /** {@code intervalMs} +/- 10%. */
    private static long jittered(long intervalMs) {
      return Math.round(intervalMs * (0.9 + 0.2 * ThreadLocalRandom.current().nextDouble()));
    }
  }
}
