package io.fiberlb.controlplane;

import org.apache.pekko.actor.typed.RecipientRef;

/**
 * How a load balancer entity reaches the other entities. In the server these are sharded entity refs; a test can
 * hand in plain actors running the same behaviors.
 */
public interface Directory {
  RecipientRef<ProjectEntity.Command> project(String orgId, String projectId);

  RecipientRef<VipPoolEntity.Command> vipPool(String range);

  RecipientRef<LoadBalancerEntity.Command> loadBalancer(String lbId);
}
