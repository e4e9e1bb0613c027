package io.fiberlb.dataplane;

import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerState;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The data plane of one load balancer on the node that runs its entity: listeners, pool balancers and health
 * monitors, converged on each state the entity hands over (after recovery and after every persisted event).
 */
public final class LoadBalancerRuntime {
  private LoadBalancerRuntime() {}

  public sealed interface Command {}

  /** The entity's state after recovery or after an event. */
  public record Sync(LoadBalancerState state) implements Command {}

  static Behavior<Command> create(String lbId, ActorRef<LoadBalancerEntity.Command> entity, DataPlane dataPlane) {
    return Behaviors.ignore();
  }
}
