package io.fiberlb.audit;

import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerEvent;
import io.fiberlb.controlplane.LoadBalancerState;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A load balancer's state at any point of its history, rebuilt from the journal with the entity's own event
 * handler ({@link LoadBalancerState#apply}): from the newest snapshot at or before the point, then its events up
 * to the point. What the audit shows (GetLoadBalancerAt, DiffLoadBalancer) and what a rollback goes back to.
 * No gRPC here: the API turns the answers into messages and statuses.
 */
public final class PastStates {
  private final JournalReader reader;
  private final ActorSystem<?> system;

  public PastStates(JournalReader reader, ActorSystem<?> system) {
    this.reader = reader;
    this.system = system;
  }

  public static String persistenceId(String lbId) {
    return LoadBalancerEntity.TYPE_KEY.name() + "|" + lbId;
  }

  /**
   * @param state the state at the point: after the last event that left the tree at most at the version asked,
   *     and written at or before the time asked
   * @param sequenceNr the event that state stands after
   * @param latestVersion the highest version read (the point's, or the first past it): a version asked above it
   *     does not exist
   */
  public record At(LoadBalancerState state, long sequenceNr, long latestVersion) {}

  /** Where a replay starts: from nothing (sequence number 0) or from a snapshot. */
  private record Start(long sequenceNr, LoadBalancerState state) {
    static final Start EMPTY = new Start(0, new LoadBalancerState.NotCreated(0));
  }

  /**
   * The state at a point ({@code Long.MAX_VALUE} and {@code Instant.MAX}: the latest). Empty when there is no
   * such load balancer, or its first event does not pass {@code owner} (another project's: the caller is told it
   * does not exist, as Get tells it). The same answer as folding every event from the first.
   */
  public CompletionStage<Optional<At>> at(String lbId, Predicate<LoadBalancerEvent> owner, long maxVersion,
      Instant time) {
    String pid = persistenceId(lbId);
    class Acc {
      LoadBalancerState state;
      long seq;
      long latest;
      boolean done;
    }
    var acc = new Acc();
    return reader.eventsPage(pid, 1, 1, 1).thenCompose(first -> {
      if (first.isEmpty() || !owner.test(first.get(0).event())) {
        return java.util.concurrent.CompletableFuture.completedFuture(Optional.<At>empty());
      }
      return start(pid, maxVersion, time).thenCompose(start -> {
        acc.state = start.state();
        acc.seq = start.sequenceNr();
        acc.latest = History.version(start.state());
        LoadBalancerState[] folding = {start.state()};
        // Versions and times only grow along a load balancer's events: past the point, nothing more can count.
        return reader.events(pid, start.sequenceNr() + 1)
            .takeWhile(e -> !acc.done)
            .runForeach(e -> {
              folding[0] = folding[0].apply(e.event());
              long version = History.version(folding[0]);
              acc.latest = Math.max(acc.latest, version);
              if (e.event().meta().at().isAfter(time) || version > maxVersion) {
                acc.done = true;
              } else {
                acc.state = folding[0];
                acc.seq = e.sequenceNr();
              }
            }, system)
            .thenApply(done -> Optional.of(new At(acc.state, acc.seq, acc.latest)));
      });
    });
  }

  /**
   * The newest snapshot that lies before the point: its state's version at most {@code maxVersion}, and the event it
   * was taken after at or before {@code time}. Both only grow along a load balancer's snapshots, so a binary search
   * over them finds it in about log2(snapshots) probes, each one snapshot (and, for a time, one event) read. With
   * every snapshot kept ({@code keep-snapshots = all}) any point replays at most {@code snapshot-every} events
   * after it; a point older than the oldest snapshot kept replays from the first event.
   */
  private CompletionStage<Start> start(String pid, long maxVersion, Instant time) {
    return reader.onBlocking(() -> {
      long[] seqs = reader.snapshotSequenceNrs(pid);
      Start best = Start.EMPTY;
      int lo = 0;
      int hi = seqs.length - 1;
      boolean newestFirst = true; // the latest state, and most points asked for, are after the newest snapshot
      while (lo <= hi) {
        int mid = newestFirst ? hi : (lo + hi) >>> 1;
        newestFirst = false;
        var state = reader.snapshot(pid, seqs[mid]);
        if (state.isEmpty()) { // deleted since it was listed (keep-snapshots = N): look among the newer ones
          lo = mid + 1;
          continue;
        }
        boolean before = History.version(state.get()) <= maxVersion && (time.equals(Instant.MAX)
            || reader.event(pid, seqs[mid]).map(e -> !e.event().meta().at().isAfter(time)).orElse(false));
        if (before) {
          best = new Start(seqs[mid], state.get());
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return best;
    });
  }
}
