package io.fiberlb.port;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * All the control plane sees of the data plane. Dependencies point one way: api -> controlplane -> port <- dataplane;
 * this package imports neither plane.
 */
public interface DataPlanePort {

  /**
   * The runtime of one load balancer, spawned by its entity as a child: it takes {@link RuntimeCommand.Apply} after
   * recovery and after each change of configuration, and {@link RuntimeCommand.Remove} when the load balancer is
   * deleted. It reports listener trouble and health transitions to {@code reports}.
   */
  Behavior<RuntimeCommand> runtime(String lbId, ActorRef<DataPlaneReport> reports);

  /** The counters of a load balancer served on this node (empty lists when it serves none). */
  StatsSnapshot stats(String lbId);
}
