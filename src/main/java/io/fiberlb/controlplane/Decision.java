package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a write command decides, before anything is written: refuse, answer without writing, or write one event.
 * The entity carries a decision out in one of two ways, and only there do they differ: for real (persist the event,
 * after the project agrees) or as a dry run ({@code validate_only}: apply the event to a copy of the state and
 * answer what the write would produce, journaling nothing). So a dry run runs exactly the rules of the real write.
 */
sealed interface Decision {

  /** Refused: nothing is written. */
  record Refuse(Rejection why) implements Decision {}

  /** Answered without writing: an idempotent repeat, or an update that changes nothing. */
  record Answer(Reply reply) implements Decision {}

  /**
   * Write {@code event} (once the project agrees, when {@code project} is not null) and answer {@code reply} of the
   * state after it.
   */
  record Write(LoadBalancerEvent event, ProjectCheck project, Function<LoadBalancerState, Reply> reply)
      implements Decision {}

  /** What the project entity must agree to first: quotas, or a name unique in the project. */
  sealed interface ProjectCheck {
    /** The command that takes it (a real write). */
    ProjectEntity.Command take(String lbId, ActorRef<ProjectEntity.Reply> replyTo);

    /** The command that only asks whether it would be given (a dry run): it changes nothing. */
    ProjectEntity.Command ask(String lbId, ActorRef<ProjectEntity.Reply> replyTo);
  }

  /** The load balancer would hold {@code after}: within the project's quotas? */
  record Reserve(Usage after) implements ProjectCheck {
    @Override
    public ProjectEntity.Command take(String lbId, ActorRef<ProjectEntity.Reply> replyTo) {
      return new ProjectEntity.ReserveUsage(lbId, after, replyTo);
    }

    @Override
    public ProjectEntity.Command ask(String lbId, ActorRef<ProjectEntity.Reply> replyTo) {
      return new ProjectEntity.CheckUsage(lbId, after, replyTo);
    }
  }

  /** The load balancer would be called {@code name}: free in the project? */
  record Rename(String name) implements ProjectCheck {
    @Override
    public ProjectEntity.Command take(String lbId, ActorRef<ProjectEntity.Reply> replyTo) {
      return new ProjectEntity.Rename(lbId, name, replyTo);
    }

    @Override
    public ProjectEntity.Command ask(String lbId, ActorRef<ProjectEntity.Reply> replyTo) {
      return new ProjectEntity.CheckRename(lbId, name, replyTo);
    }
  }

  static Decision refuse(Rejection why) {
    return new Refuse(why);
  }

  static Decision answer(Reply reply) {
    return new Answer(reply);
  }

  static Decision write(LoadBalancerEvent event, Function<LoadBalancerState, Reply> reply) {
    return new Write(event, null, reply);
  }
}
