package io.fiberlb.dataplane;

import io.fiberlb.port.ServingQuorum;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.eventstream.EventStream;

/**
 * The node's current {@link ServingQuorum}: listeners read it before they bind and follow its changes on the
 * actor system's event stream. Open until told otherwise (a cluster of one is always open).
 */
public final class ServingGate {
  private final ActorSystem<?> system;
  private final AtomicReference<ServingQuorum> current = new AtomicReference<>(ServingQuorum.ALWAYS);

  ServingGate(ActorSystem<?> system) {
    this.system = system;
  }

  public ServingQuorum current() {
    return current.get();
  }

  /** A new state from the cluster watch; listeners hear of it only when it differs. */
  public void set(ServingQuorum q) {
    ServingQuorum before = current.getAndSet(q);
    if (!q.equals(before)) {
      org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServingGate.class);
      if (q.serving()) log.info("serving VIPs again: {}", q.reason().isEmpty() ? "a majority of the cluster is Up" : q.reason());
      else log.warn("not serving VIPs: {}", q.reason());
      system.eventStream().tell(new EventStream.Publish<>(q));
    }
  }

  /** {@code listener} hears every later change. */
  public void subscribe(ActorRef<ServingQuorum> listener) {
    system.eventStream().tell(new EventStream.Subscribe<>(ServingQuorum.class, listener));
  }
}
