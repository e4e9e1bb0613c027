package io.fiberlb.dataplane.health;

import io.fiberlb.controlplane.model.HealthCheck;
import io.fiberlb.dataplane.stats.BackendHealthGauge;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * Probes one backend on its pool's health check and reports UP/DOWN transitions (never single probes).
 * CONTRACT ONLY: the implementation is being written (issue 3).
 */
public final class HealthMonitor {
  private HealthMonitor() {}

  public sealed interface Command {}

  /** Where to probe: the backend's address and its monitor port (or service port). */
  public record Target(String backendId, String address, int port) {}

  /** The health check or the target changed: probe this from now on, keeping the current verdict. */
  public record Reconfigure(HealthCheck check, Target target) implements Command {}

  /** The listener failed to connect to this backend: counts as one failed probe ({@code reason}: refused, timeout). */
  public record PassiveFailure(String reason) implements Command {}

  /** Sent to {@code reportTo} when the verdict changes. */
  public record Transition(String backendId, boolean up, String reason) {}

  public static Behavior<Command> create(HealthCheck check, Target target, boolean initiallyUp,
      ActorRef<Transition> reportTo, BackendHealthGauge gauge) {
    throw new UnsupportedOperationException("not yet");
  }
}
