package io.fiberlb.cluster;

import io.fiberlb.controlplane.ControlPlaneSettings;
import io.fiberlb.controlplane.Directory;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.ProjectEntity;
import io.fiberlb.controlplane.VipPoolEntity;
import io.fiberlb.port.DataPlanePort;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** Registers the three entity types with cluster sharding and hands out refs to them. */
public final class ShardedDirectory implements Directory {
  private final ClusterSharding sharding;

  private ShardedDirectory(ClusterSharding sharding) {
    this.sharding = sharding;
  }

  public static ShardedDirectory init(ActorSystem<?> system, ControlPlaneSettings settings) {
    return init(system, settings, null);
  }

  /** @param dataPlane serves the listeners of the load balancers that run on this node; null for none */
  public static ShardedDirectory init(ActorSystem<?> system, ControlPlaneSettings settings, DataPlanePort dataPlane) {
    ClusterSharding sharding = ClusterSharding.get(system);
    ShardedDirectory directory = new ShardedDirectory(sharding);
    sharding.init(Entity.of(LoadBalancerEntity.TYPE_KEY,
            ctx -> LoadBalancerEntity.create(ctx.getEntityId(), directory, settings, ctx.getShard(), dataPlane))
        .withStopMessage(new LoadBalancerEntity.Stop("stop"))
        // Only nodes that serve traffic own load balancers; the others reach them through a sharding proxy.
        .withRole(ClusterFormation.DATAPLANE)
        // Evenly by shard count, except where an operator moved a shard with lb failover (docs/architecture.md).
        .withAllocationStrategy(allocation(system)));
    sharding.init(Entity.of(ProjectEntity.TYPE_KEY,
        ctx -> new ProjectEntity(ctx.getEntityId(), settings.quotas(), settings.snapshotEvery())));
    sharding.init(Entity.of(VipPoolEntity.TYPE_KEY,
        ctx -> new VipPoolEntity(ctx.getEntityId(), settings.snapshotEvery())));
    return directory;
  }

  private static PinnedShardAllocation allocation(ActorSystem<?> system) {
    var c = system.settings().config().getConfig("pekko.cluster.sharding.least-shard-allocation-strategy");
    return new PinnedShardAllocation(c.getInt("rebalance-absolute-limit"), c.getDouble("rebalance-relative-limit"),
        system.settings().config().getBoolean("fiberlb.cluster.rebalance"));
  }

  public ClusterSharding sharding() {
    return sharding;
  }

  @Override
  public RecipientRef<ProjectEntity.Command> project(String orgId, String projectId) {
    return sharding.entityRefFor(ProjectEntity.TYPE_KEY, ProjectEntity.entityId(orgId, projectId));
  }

  @Override
  public RecipientRef<VipPoolEntity.Command> vipPool(String range) {
    return sharding.entityRefFor(VipPoolEntity.TYPE_KEY, range);
  }

  @Override
  public RecipientRef<LoadBalancerEntity.Command> loadBalancer(String lbId) {
    return sharding.entityRefFor(LoadBalancerEntity.TYPE_KEY, lbId);
  }
}
