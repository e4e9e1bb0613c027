package io.fiberlb.controlplane;

import io.fiberlb.controlplane.model.LoadBalancerInfo;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.controlplane.model.Usage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * What a restore asks of the other entities before its event is written: the VIP from its pool (the old one, or any
 * free one), then the name and the usage from the project (quotas); the VIP is given back when the project refuses.
 * A dry run only asks whether each would be given. And what a deleted load balancer gives back when a restore was
 * cut short.
 */
final class RestoreSteps {
  /** @param vip the VIP taken (a dry run: the one asked for, empty for any); {@code refused} null when all agreed */
  record Result(String vip, Rejection refused) {}

  private final String lbId;
  private final Directory directory;
  private final ControlPlaneSettings settings;
  private final ActorSystem<?> system;
  private final Executor executor;

  RestoreSteps(String lbId, Directory directory, ControlPlaneSettings settings, ActorSystem<?> system,
      Executor executor) {
    this.lbId = lbId;
    this.directory = directory;
    this.settings = settings;
    this.system = system;
    this.executor = executor;
  }

  /** @param wanted the old VIP, or empty for any free one of {@code range} */
  CompletionStage<Result> run(LoadBalancerInfo info, String range, String wanted, String name, Usage usage,
      boolean dryRun) {
    var pool = directory.vipPool(range);
    var project = directory.project(info.orgId(), info.projectId());
    return this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(pool, r -> dryRun
            ? new VipPoolEntity.CheckAllocate(lbId, wanted, r) : new VipPoolEntity.Allocate(lbId, wanted, r))
        .thenComposeAsync(v -> {
          if (v.rejection() != null) return CompletableFuture.completedFuture(new Result("", vipRefusal(v.rejection())));
          String vip = dryRun ? wanted : v.address(); // a dry run takes no address: a new one is not known
          return this.<ProjectEntity.Command, ProjectEntity.Reply>ask(project,
                  r -> new ProjectEntity.Adopt(lbId, name, usage, dryRun, r))
              .thenComposeAsync(p -> {
                if (!(p instanceof ProjectEntity.Refused f)) return CompletableFuture.completedFuture(new Result(vip, null));
                if (dryRun) return CompletableFuture.completedFuture(new Result("", f.rejection()));
                return this.<VipPoolEntity.Command, VipPoolEntity.Reply>ask(pool, r -> new VipPoolEntity.Release(lbId, r))
                    .thenApply(x -> new Result("", f.rejection()));
              }, executor);
        }, executor);
  }

  /** The VIP held by another load balancer now: a precondition of this restore, which a new VIP gets around. */
  private static Rejection vipRefusal(Rejection r) {
    if (r.code() != Rejection.Code.ALREADY_EXISTS) return r;
    return Rejection.precondition(r.message() + " now; restore with new_vip to take a free address instead");
  }

  /**
   * A deleted load balancer holds nothing. A restore cut short by a crash between taking the VIP (or the name) and
   * its event would leave them held: give them back (from the old range and the configured one, where a new VIP
   * comes from), which is a no-op when nothing is held.
   */
  void releaseLeftovers(LoadBalancerInfo info) {
    String old = info.vipPool().isEmpty() ? settings.vipRange() : info.vipPool();
    directory.vipPool(old).tell(new VipPoolEntity.Release(lbId, system.ignoreRef()));
    if (!old.equals(settings.vipRange())) {
      directory.vipPool(settings.vipRange()).tell(new VipPoolEntity.Release(lbId, system.ignoreRef()));
    }
    directory.project(info.orgId(), info.projectId()).tell(new ProjectEntity.Unregister(lbId, system.ignoreRef()));
  }

  private <Req, Res> CompletionStage<Res> ask(RecipientRef<Req> target,
      org.apache.pekko.japi.function.Function<ActorRef<Res>, Req> message) {
    Duration timeout = settings.askTimeout();
    return AskPattern.ask(target, message, timeout, system.scheduler());
  }
}
