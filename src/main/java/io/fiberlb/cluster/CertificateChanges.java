package io.fiberlb.cluster;

import io.fiberlb.CborSerializable;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Tells every node's TLS listeners at once that a certificate was rotated or deleted, wherever the API wrote it: a
 * cluster pub-sub topic (Pekko's typed {@link Topic}, one per node, finding the others through the receptionist).
 * The node that wrote it has already rebuilt its own listeners before the API answered (the key store's
 * {@code onChange}), so it skips its own message. Delivery is at most once (a node unreachable at that moment misses
 * it): {@code fiberlb.dataplane.tls-refresh-interval} stays the safety net that carries any change there.
 *
 * <p>This is wiring: the control plane's key store publishes here and the data plane's {@code TlsTerminations}
 * listens through a plain {@code Consumer<String>}, so neither knows the other.
 */
public final class CertificateChanges {
  static final String TOPIC = "fiberlb-certificate-changes";

  /** A certificate written (rotated, renamed) or deleted through node {@code origin}. */
  public record Changed(String certificateId, String origin) implements CborSerializable {}

  private final ActorRef<Topic.Command<Changed>> topic;
  private final String self;

  private CertificateChanges(ActorRef<Topic.Command<Changed>> topic, String self) {
    this.topic = topic;
    this.self = self;
  }

  /**
   * Starts this node's end of the topic. {@code listener} (null on a node without a data plane, which only
   * publishes) is called with each certificate id changed through another node, on the blocking-IO dispatcher (it
   * reads the key store).
   */
  public static CertificateChanges start(ActorSystem<?> system, Consumer<String> listener) {
    ActorRef<Topic.Command<Changed>> topic = system.systemActorOf(Topic.create(Changed.class, TOPIC),
        "fiberlb-certificate-changes", Props.empty());
    String self = Cluster.get(system).selfMember().address().toString();
    if (listener != null) {
      Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      system.systemActorOf(subscriber(topic, self, listener, blocking), "fiberlb-certificate-changes-subscriber",
          Props.empty());
    }
    return new CertificateChanges(topic, self);
  }

  /** Tells the other nodes (called by the key store after a write or delete through this node). */
  public void publish(String certificateId) {
    topic.tell(Topic.publish(new Changed(certificateId, self)));
  }

  private static Behavior<Changed> subscriber(ActorRef<Topic.Command<Changed>> topic, String self,
      Consumer<String> listener, Executor blocking) {
    return Behaviors.setup(ctx -> {
      topic.tell(Topic.subscribe(ctx.getSelf()));
      return Behaviors.receive(Changed.class).onMessage(Changed.class, m -> {
        if (!m.origin().equals(self)) {
          ctx.getLog().info("certificate {} changed through {}: refreshing the TLS listeners that use it",
              m.certificateId(), m.origin());
          blocking.execute(() -> listener.accept(m.certificateId()));
        }
        return Behaviors.same();
      }).build();
    });
  }
}
