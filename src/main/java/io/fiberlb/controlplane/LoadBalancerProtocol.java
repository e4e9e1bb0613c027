package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.Views.ChildView;
import io.fiberlb.controlplane.Views.LoadBalancerView;
import io.fiberlb.controlplane.disruption.Disruption;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.LoadBalancerPatch;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.port.StatsSnapshot;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a load balancer entity is asked and answers: its commands and replies, in one file a caller can read without
 * the entity's machinery. {@link LoadBalancerEntity} implements this interface, so callers name the types as
 * {@code LoadBalancerEntity.CreateChild} as before.
 */
public interface LoadBalancerProtocol {

  /** Every message the entity takes: the user commands below, and its own internal ones (not sealed for those). */
  interface Command extends CborSerializable {}

  /** A command from an API caller: it says who is asking and where the answer goes. */
  public sealed interface UserCommand extends Command {
    Caller caller();

    ActorRef<Reply> replyTo();
  }

  /**
   * A command that journals something when it succeeds: refused at once while the journal is unreachable. With
   * {@code validateOnly} (AIP-163's validate_only) it journals nothing and has no effect anywhere: it is decided by
   * the same rules and answered with a {@link DryRunReply} of what it would produce.
   */
  public sealed interface WriteCommand extends UserCommand {
    boolean validateOnly();
  }

  /** @param requestHash a digest of the request's body (null when not known): a repeat with another is refused */
  public record CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo, String requestHash,
      boolean validateOnly) implements WriteCommand {
    public CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo, String requestHash) {
      this(caller, spec, replyTo, requestHash, false);
    }

    public CreateLoadBalancer(Caller caller, LoadBalancerPatch spec, ActorRef<Reply> replyTo) {
      this(caller, spec, replyTo, null, false);
    }
  }

  public record GetLoadBalancer(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  public record GetStatus(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  public record UpdateLoadBalancer(Caller caller, LoadBalancerPatch patch, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public UpdateLoadBalancer(Caller caller, LoadBalancerPatch patch, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, patch, expectedVersion, replyTo, false);
    }
  }

  public record DeleteLoadBalancer(Caller caller, boolean cascade, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public DeleteLoadBalancer(Caller caller, boolean cascade, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, cascade, expectedVersion, replyTo, false);
    }
  }

  /**
   * @param parentId the parent of a kind that has one ({@link Kind#parent}: a backend's pool, an L7 policy's
   *     listener, an L7 rule's policy); empty for the others
   * @param requestId the client's idempotency key, or empty
   * @param requestHash a digest of the request's body (null when not known): a repeat with another is refused
   */
  public record CreateChild(Caller caller, String parentId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo,
      String requestHash, boolean validateOnly) implements WriteCommand {
    public CreateChild(Caller caller, String parentId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo,
        String requestHash) {
      this(caller, parentId, patch, requestId, replyTo, requestHash, false);
    }

    public CreateChild(Caller caller, String parentId, ChildPatch patch, String requestId, ActorRef<Reply> replyTo) {
      this(caller, parentId, patch, requestId, replyTo, null, false);
    }
  }

  public record GetChild(Caller caller, Kind kind, String id, ActorRef<Reply> replyTo) implements UserCommand {}

  /** @param parentId only the children of this parent (backends of a pool, rules of a policy...), when not empty */
  public record ListChildren(Caller caller, Kind kind, String parentId, long after, int limit, ActorRef<Reply> replyTo)
      implements UserCommand {}

  public record UpdateChild(Caller caller, Kind kind, String id, ChildPatch patch, Long expectedVersion,
      ActorRef<Reply> replyTo, boolean validateOnly) implements WriteCommand {
    public UpdateChild(Caller caller, Kind kind, String id, ChildPatch patch, Long expectedVersion,
        ActorRef<Reply> replyTo) {
      this(caller, kind, id, patch, expectedVersion, replyTo, false);
    }
  }

  public record DeleteChild(Caller caller, Kind kind, String id, Long expectedVersion, ActorRef<Reply> replyTo,
      boolean validateOnly) implements WriteCommand {
    public DeleteChild(Caller caller, Kind kind, String id, Long expectedVersion, ActorRef<Reply> replyTo) {
      this(caller, kind, id, expectedVersion, replyTo, false);
    }
  }

  /**
   * Bring the load balancer back to {@code target}, its state at {@code toVersion} as the journal holds it (the API
   * rebuilds it there); checked here against today (see {@link Rollback#plan}). On a deleted load balancer this is
   * a restore: its VIP is taken again, or any free one with {@code newVip}. {@code dryRun}: the answer only.
   *
   * @param command the API command, for the event's record: RollbackLoadBalancer or RestoreLoadBalancer
   */
  public record RollBack(Caller caller, String command, long toVersion, LoadBalancerState.Active target,
      Long expectedVersion, boolean dryRun, boolean newVip, ActorRef<Reply> replyTo) implements WriteCommand {
    @Override
    public boolean validateOnly() {
      return dryRun;
    }
  }

  /** The message the shard sends to stop this entity (passivation, rebalance). */
  public record Stop(String reason) implements Command {
    @JsonCreator
    public Stop {}
  }

  /** Sent through sharding to wake an entity that has an unfinished create or delete. */
  public record Resume(String reason) implements Command {
    @JsonCreator
    public Resume {}
  }

  /** Live traffic counters of this load balancer, from the node that runs it. */
  public record GetStats(Caller caller, ActorRef<Reply> replyTo) implements UserCommand {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = LoadBalancerReply.class, name = "lb"),
    @JsonSubTypes.Type(value = ChildReply.class, name = "child"),
    @JsonSubTypes.Type(value = ChildrenReply.class, name = "children"),
    @JsonSubTypes.Type(value = StatusReply.class, name = "status"),
    @JsonSubTypes.Type(value = DeletedReply.class, name = "deleted"),
    @JsonSubTypes.Type(value = Rejected.class, name = "rejected"),
    @JsonSubTypes.Type(value = StatsReply.class, name = "stats"),
    @JsonSubTypes.Type(value = RolledBackReply.class, name = "rolled-back"),
    @JsonSubTypes.Type(value = DryRunReply.class, name = "dry-run")
  })
  public sealed interface Reply extends CborSerializable {}

  public record LoadBalancerReply(LoadBalancerView lb) implements Reply {
    @JsonCreator
    public LoadBalancerReply {}
  }

  public record ChildReply(ChildView child) implements Reply {
    @JsonCreator
    public ChildReply {}
  }

  /** @param next the {@code after} of the next page, 0 when this is the last */
  public record ChildrenReply(List<ChildView> items, long next) implements Reply {}

  /** @param node the cluster node this load balancer runs on (its address) */
  public record StatusReply(LoadBalancerView lb, List<ChildView> children, String node) implements Reply {}

  /** @param version the tree version after the delete */
  public record DeletedReply(long version) implements Reply {
    @JsonCreator
    public DeletedReply {}
  }

  public record Rejected(Rejection rejection) implements Reply {
    @JsonCreator
    public Rejected {}
  }

  /**
   * A rollback or restore done (or, on a dry run, what it would do).
   *
   * @param before the state it started from (live or deleted)
   * @param after the state it left (or would leave); equal to {@code before} when there was nothing to change
   */
  /** @param stats the data plane's counters when it was planned, for the open connections it drains or cuts */
  public record RolledBackReply(LoadBalancerState before, LoadBalancerState.Active after, boolean dryRun,
      StatsSnapshot stats) implements Reply {}

  /** Live traffic counters, from the node that serves the load balancer. */
  public record StatsReply(StatsSnapshot stats) implements Reply {
    @JsonCreator
    public StatsReply {}
  }

  /**
   * What a write asked with {@code validateOnly} would produce; nothing was journaled or changed.
   *
   * @param before the load balancer as it is (no {@code lb} when it does not exist yet)
   * @param after as the write would leave it, at the version it would have
   * @param reply what the write itself would answer
   * @param disruption the traffic it would move and the open connections it would drain or cut
   */
  public record DryRunReply(Views.TreeView before, Views.TreeView after, Reply reply, Disruption disruption)
      implements Reply {}

}
