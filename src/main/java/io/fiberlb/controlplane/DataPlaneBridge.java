package io.fiberlb.controlplane;

import io.fiberlb.controlplane.LoadBalancerState.Active;
import io.fiberlb.controlplane.model.Backend;
import io.fiberlb.controlplane.model.Enums.ProvisioningStatus;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.port.DataPlanePort;
import io.fiberlb.port.DataPlaneReport;
import io.fiberlb.port.DesiredListener;
import io.fiberlb.port.DesiredLoadBalancer;
import io.fiberlb.port.RuntimeCommand;
import io.fiberlb.port.StatsSnapshot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The entity's side of the data plane on its node: hands the runtime what should run after every persisted change
 * (replay and live changes by one path), and keeps what the runtime reports back that is not journaled (listeners
 * that cannot serve, binds under way). Lives inside the entity's actor: never touched from another thread.
 */
final class DataPlaneBridge {
  private final String lbId;
  private final ActorContext<LoadBalancerProtocol.Command> ctx;
  private final DataPlanePort dataPlane;
  /** Where the data plane's reports come in; null without a data plane. */
  private final ActorRef<DataPlaneReport> reports;
  private ActorRef<RuntimeCommand> runtime;
  /** What the runtime was last told to run, so that a change that leaves it equal is not sent again. */
  private DesiredLoadBalancer published;
  private RuntimeCommand.Names publishedNames;
  /** What the data plane last reported of listeners that cannot serve, by listener id. Not journaled. */
  private final Map<String, String> listenerErrors = new HashMap<>();
  /**
   * Listeners the runtime was told to bind (new, enabled again, or on another port) whose outcome it has not
   * reported yet: PENDING_CREATE or PENDING_UPDATE until it does, so that a client can wait for the outcome
   * (fiberlb --wait). Not journaled.
   */
  private final Map<String, ProvisioningStatus> binding = new HashMap<>();

  /** @param dataPlane null for none (control-plane tests): then nothing is published */
  DataPlaneBridge(String lbId, ActorContext<LoadBalancerProtocol.Command> ctx, DataPlanePort dataPlane,
      ActorRef<DataPlaneReport> reports) {
    this.lbId = lbId;
    this.ctx = ctx;
    this.dataPlane = dataPlane;
    this.reports = reports;
    // Before recovery: the runtime serves what it served last meanwhile (fiberlb.dataplane.serve-before-recovery);
    // recovery then publishes the journal's configuration to it, or removes it. The bridge is made in the entity's
    // setup, before its recovery starts.
    if (dataPlane != null) runtime = ctx.spawn(dataPlane.runtime(lbId, reports), "runtime");
  }

  Map<String, String> listenerErrors() {
    return listenerErrors;
  }

  Map<String, ProvisioningStatus> binding() {
    return binding;
  }

  StatsSnapshot stats() {
    return dataPlane == null ? StatsSnapshot.none() : dataPlane.stats(lbId);
  }

  void publish(LoadBalancerState state) {
    if (dataPlane == null) return;
    if (!(state instanceof Active a)) {
      // Never served yet (no row to serve before recovery either): the runtime spawned before recovery waits idle.
      if (state instanceof LoadBalancerState.NotCreated || state instanceof LoadBalancerState.Creating) return;
      if (runtime == null) return;
      runtime.tell(new RuntimeCommand.Remove()); // it stops itself and its listeners drain
      runtime = null;
      published = null;
      publishedNames = null;
      listenerErrors.clear();
      binding.clear();
      return;
    }
    DesiredLoadBalancer desired = DesiredStates.of(a);
    if (runtime == null) {
      // A restore can follow a delete before the removed runtime has stopped and given its name back.
      runtime = ctx.getChild("runtime").isPresent() ? ctx.spawnAnonymous(dataPlane.runtime(lbId, reports))
          : ctx.spawn(dataPlane.runtime(lbId, reports), "runtime");
    }
    // Descriptions, tags, health verdicts: nothing the running data plane needs. Names only label its metrics.
    if (!desired.sameConfiguration(published)) {
      noteBinds(published, desired);
      runtime.tell(new RuntimeCommand.Apply(desired));
      published = desired;
    }
    RuntimeCommand.Names names = DesiredStates.names(a);
    if (!names.equals(publishedNames)) {
      runtime.tell(names);
      publishedNames = names;
    }
  }

  /**
   * Which listeners the runtime will (re)bind for {@code next}: each reports its outcome once it has one (bound,
   * or why not), and is pending until then. The same rule as the runtime's: enabled and not yet running, or
   * running on another port or protocol.
   */
  private void noteBinds(DesiredLoadBalancer before, DesiredLoadBalancer next) {
    var was = new HashMap<String, DesiredListener>();
    if (before != null && before.adminStateUp()) {
      before.listeners().stream().filter(DesiredListener::adminStateUp).forEach(l -> was.put(l.id(), l));
    }
    var now = new HashSet<String>();
    for (var l : next.listeners()) {
      if (!next.adminStateUp() || !l.adminStateUp()) continue;
      now.add(l.id());
      var old = was.get(l.id());
      if (old == null || old.protocolPort() != l.protocolPort() || old.protocol() != l.protocol()) {
        boolean known = before != null && before.listeners().stream().anyMatch(o -> o.id().equals(l.id()));
        binding.put(l.id(), known ? ProvisioningStatus.PENDING_UPDATE : ProvisioningStatus.PENDING_CREATE);
      }
    }
    binding.keySet().retainAll(now);
  }

  /**
   * Takes a report in. A listener's status is kept here; a backend's new health verdict is answered with the event
   * that journals it, which publishes nothing: the runtime applied the transition itself before it reported it,
   * and health is not configuration, so a flapping backend never makes the data plane diff anything.
   */
  Optional<LoadBalancerEvent> report(LoadBalancerState state, DataPlaneReport report) {
    if (report instanceof DataPlaneReport.HealthTransition r) {
      if (!(state instanceof Active a) || !(a.children().get(r.backendId()) instanceof Backend)) return Optional.empty();
      LoadBalancerState.Health known = a.health().get(r.backendId());
      boolean knownUp = known == null || known.up();
      if (knownUp == r.up()) return Optional.empty();
      var meta = EventMeta.system("", "HealthCheck",
          "backend " + r.backendId() + (r.up() ? " up: " : " down: ") + r.reason());
      return Optional.of(new LoadBalancerEvent.BackendHealthChanged(r.backendId(), r.up(), r.reason(), meta));
    }
    var l = (DataPlaneReport.ListenerStatus) report;
    if (l.error().isEmpty()) listenerErrors.remove(l.listenerId());
    else listenerErrors.put(l.listenerId(), l.error());
    binding.remove(l.listenerId());
    return Optional.empty();
  }
}
