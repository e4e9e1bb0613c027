package io.fiberlb.controlplane.certificate;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.controlplane.model.EventMeta;
import io.fiberlb.controlplane.model.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of one (org, project), as Octavia's (Barbican's) containers: names unique per project, journaled
 * as public facts only ({@link CertificateFacts}); the chain and the sealed key go to the {@link CertificateKeyStore}
 * row, which is written before the event and deleted after it. So a crash between the two leaves at most a row with
 * no certificate (removed when the project's certificates next recover) or, for a rotation, a row one rotation ahead
 * of the journal (logged at recovery; the rotation's retry puts them level). Store calls block (JDBC), so the entity
 * runs on the blocking-IO dispatcher.
 */
public final class CertificateEntity
    extends EventSourcedBehaviorWithEnforcedReplies<CertificateEntity.Command, CertificateEntity.Event, CertificateEntity.State> {
  private static final Logger log = LoggerFactory.getLogger(CertificateEntity.class);
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Certificates");
  static final int MAX_NAME = 255;
  static final int MAX_DESCRIPTION = 255;

  public static String entityId(String orgId, String projectId) {
    return orgId + "/" + projectId;
  }

  /** Registers the entity type with sharding; its entities run where the store is reachable (every node). */
  public static void init(ActorSystem<?> system, CertificateKeyStore store, int snapshotEvery) {
    ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> new CertificateEntity(ctx.getEntityId(), store,
            snapshotEvery))
        .withEntityProps(DispatcherSelector.blocking()));
  }

  // ------------------------------------------------------------------ protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * A certificate's chain, key (PKCS#8 PEM, empty for a CA bundle) and facts, checked by {@link PemCertificates}.
   * Travels only in commands (never in events); its toString leaves the key out.
   */
  public record Material(String chainPem, String privateKeyPem, CertificateFacts facts) implements CborSerializable {
    @Override
    public String toString() {
      return "Material[" + facts + "]";
    }

    public static Material of(PemCertificates.Parsed p) {
      return new Material(p.chainPem(), p.privateKeyPem(), p.facts());
    }
  }

  /**
   * @param limit the project's certificates quota in force (-1 unlimited), read from its {@code ProjectEntity} by
   *     the caller just before: this entity is the only writer of the project's certificates, so the count it
   *     checks against the limit is exact even for concurrent creates
   */
  public record Create(String id, String name, String description, Material material, Caller caller,
      boolean validateOnly, int limit, ActorRef<Reply> replyTo) implements Command {}

  /** Null fields are left as they are; a material rotates the certificate (same id, new chain and key). */
  public record Update(String id, String name, String description, Material material, Caller caller,
      boolean validateOnly, ActorRef<Reply> replyTo) implements Command {}

  public record Delete(String id, Caller caller, boolean validateOnly, ActorRef<Reply> replyTo) implements Command {}

  public record Get(String id, ActorRef<Reply> replyTo) implements Command {}

  public record ListAll(ActorRef<Reply> replyTo) implements Command {
    @JsonCreator
    public ListAll {}
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Found.class, name = "found"),
    @JsonSubTypes.Type(value = Listing.class, name = "listing"),
    @JsonSubTypes.Type(value = Refused.class, name = "refused")
  })
  public sealed interface Reply extends CborSerializable {}

  /** A certificate after the command ({@code after}; null after a delete) and before it (null for a create). */
  public record Found(Certificate before, Certificate after) implements Reply {}

  public record Listing(List<Certificate> certificates) implements Reply {
    @JsonCreator
    public Listing {}
  }

  public record Refused(Rejection rejection) implements Reply {
    @JsonCreator
    public Refused {}
  }

  /** What Get and List show: the public facts, never material. {@code version} counts its changes from 1. */
  public record Certificate(String id, String name, String description, CertificateFacts facts, Instant createdAt,
      Instant updatedAt, long version) implements CborSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = CertificateCreated.class, name = "CertificateCreated"),
    @JsonSubTypes.Type(value = CertificateUpdated.class, name = "CertificateUpdated"),
    @JsonSubTypes.Type(value = CertificateDeleted.class, name = "CertificateDeleted")
  })
  public sealed interface Event extends CborSerializable {}

  public record CertificateCreated(String id, String name, String description, CertificateFacts facts, EventMeta meta)
      implements Event {}

  /** Name, description or material changed; {@code facts} are the certificate's after the change. */
  public record CertificateUpdated(String id, String name, String description, CertificateFacts facts, EventMeta meta)
      implements Event {}

  public record CertificateDeleted(String id, String name, String fingerprint, EventMeta meta) implements Event {}

  /** @param certificates by id, in creation order; names map each name to its id */
  public record State(Map<String, Certificate> certificates, Map<String, String> names) implements CborSerializable {
    static final State EMPTY = new State(Map.of(), Map.of());

    State apply(Event event) {
      var cs = new LinkedHashMap<>(certificates);
      var ns = new LinkedHashMap<>(names);
      if (event instanceof CertificateCreated e) {
        cs.put(e.id(), new Certificate(e.id(), e.name(), e.description(), e.facts(), e.meta().at(), e.meta().at(), 1));
        ns.put(e.name(), e.id());
      } else if (event instanceof CertificateUpdated e) {
        Certificate old = cs.get(e.id());
        ns.remove(old.name());
        ns.put(e.name(), e.id());
        cs.put(e.id(), new Certificate(e.id(), e.name(), e.description(), e.facts(), old.createdAt(), e.meta().at(),
            old.version() + 1));
      } else if (event instanceof CertificateDeleted e) {
        Certificate old = cs.remove(e.id());
        if (old != null) ns.remove(old.name());
      }
      return new State(cs, ns);
    }
  }

  // ------------------------------------------------------------------ behavior

  private final String orgId;
  private final String projectId;
  private final CertificateKeyStore store;
  private final int snapshotEvery;

  CertificateEntity(String entityId, CertificateKeyStore store, int snapshotEvery) {
    super(PersistenceId.of(TYPE_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    int slash = entityId.indexOf('/');
    this.orgId = entityId.substring(0, slash);
    this.projectId = entityId.substring(slash + 1);
    this.store = store;
    this.snapshotEvery = snapshotEvery;
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::reconcile).build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.certificates().containsKey(c.id())
            ? new Found(null, s.certificates().get(c.id())) : notFound(c.id())))
        .onCommand(ListAll.class, (s, c) -> Effect().reply(c.replyTo(),
            new Listing(new ArrayList<>(s.certificates().values()))))
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State s, Create c) {
    Rejection problem = nameProblem(s, c.id(), c.name(), c.description());
    if (problem != null) return Effect().reply(c.replyTo(), new Refused(problem));
    if (s.certificates().containsKey(c.id())) {
      return Effect().reply(c.replyTo(), new Refused(Rejection.exists("certificate " + c.id() + " exists")));
    }
    if (c.limit() >= 0 && s.certificates().size() + 1 > c.limit()) {
      return Effect().reply(c.replyTo(), new Refused(Rejection.exhausted("quota: the project would have "
          + (s.certificates().size() + 1) + " certificates, its limit is " + c.limit() + " (quota certificates)")));
    }
    var event = new CertificateCreated(c.id(), c.name(), c.description(), c.material().facts(),
        EventMeta.of(c.caller(), "CreateCertificate"));
    if (c.validateOnly()) return Effect().reply(c.replyTo(), new Found(null, s.apply(event).certificates().get(c.id())));
    Rejection stored = store(c.id(), c.name(), c.material());
    if (stored != null) return Effect().reply(c.replyTo(), new Refused(stored));
    return Effect().persist(event).thenReply(c.replyTo(), ns -> new Found(null, ns.certificates().get(c.id())));
  }

  private ReplyEffect<Event, State> onUpdate(State s, Update c) {
    Certificate old = s.certificates().get(c.id());
    if (old == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    String name = c.name() == null ? old.name() : c.name();
    String description = c.description() == null ? old.description() : c.description();
    Rejection problem = nameProblem(s, c.id(), name, description);
    if (problem != null) return Effect().reply(c.replyTo(), new Refused(problem));
    if (c.material() != null && c.material().facts().type() != old.facts().type()) {
      return Effect().reply(c.replyTo(), new Refused(Rejection.invalid("certificate_pem: certificate " + c.id()
          + " is a " + old.facts().type() + ", a rotation must be one too")));
    }
    CertificateFacts facts = c.material() == null ? old.facts() : c.material().facts();
    if (name.equals(old.name()) && description.equals(old.description()) && facts.equals(old.facts())) {
      return Effect().reply(c.replyTo(), new Found(old, old)); // nothing changes: nothing journaled
    }
    var event = new CertificateUpdated(c.id(), name, description, facts, EventMeta.of(c.caller(), "UpdateCertificate"));
    if (c.validateOnly()) return Effect().reply(c.replyTo(), new Found(old, s.apply(event).certificates().get(c.id())));
    if (c.material() != null) {
      Rejection stored = store(c.id(), name, c.material());
      if (stored != null) return Effect().reply(c.replyTo(), new Refused(stored));
    }
    return Effect().persist(event).thenReply(c.replyTo(), ns -> new Found(old, ns.certificates().get(c.id())));
  }

  private ReplyEffect<Event, State> onDelete(State s, Delete c) {
    Certificate old = s.certificates().get(c.id());
    if (old == null) return Effect().reply(c.replyTo(), notFound(c.id()));
    if (c.validateOnly()) return Effect().reply(c.replyTo(), new Found(old, null));
    var event = new CertificateDeleted(c.id(), old.name(), old.facts().fingerprint(),
        EventMeta.of(c.caller(), "DeleteCertificate"));
    return Effect().persist(event).thenRun(ns -> deleteRow(c.id())).thenReply(c.replyTo(), ns -> new Found(old, null));
  }

  /** Writes the row; a database that does not answer refuses the command with nothing journaled. */
  private Rejection store(String id, String name, Material m) {
    try {
      store.put(new CertificateKeyStore.Row(id, orgId, projectId, name, m.facts().fingerprint(), m.facts().notAfter(),
          m.chainPem(), m.privateKeyPem()));
      return null;
    } catch (CertificateKeyStore.StoreUnavailableException e) {
      return Rejection.unavailable("not written: " + e.getMessage() + "; nothing was changed, retry");
    }
  }

  private void deleteRow(String id) {
    try {
      store.delete(id);
    } catch (RuntimeException e) {
      log.warn("certificate {} is deleted but its key row is not yet (removed when {}/{}'s certificates next"
          + " recover): {}", id, orgId, projectId, e.getMessage());
    }
  }

  /** Removes rows a crash left without a certificate, and says when a row and the journal disagree. */
  private void reconcile(State s) {
    try {
      for (String id : store.ids(orgId, projectId)) {
        Certificate c = s.certificates().get(id);
        if (c == null) {
          store.delete(id);
          log.info("removed the key row of certificate {}, which {}/{} does not hold (a create that was not"
              + " journaled, or a delete that did not finish)", id, orgId, projectId);
        } else if (!store.fingerprint(id).map(c.facts().fingerprint()::equals).orElse(true)) {
          log.warn("certificate {}: the key store serves another fingerprint than the journal records (a rotation"
              + " whose event was not written); repeat the rotation", id);
        }
      }
    } catch (RuntimeException e) {
      log.warn("could not reconcile the key rows of {}/{}'s certificates: {}", orgId, projectId, e.getMessage());
    }
  }

  private static Refused notFound(String id) {
    return new Refused(Rejection.notFound("certificate " + id + " not found"));
  }

  private static Rejection nameProblem(State s, String id, String name, String description) {
    if (name.isBlank()) return Rejection.invalid("certificate.name: is required");
    if (name.length() > MAX_NAME) {
      return Rejection.invalid("certificate.name: must be at most " + MAX_NAME + " characters, got " + name.length());
    }
    if (description.length() > MAX_DESCRIPTION) {
      return Rejection.invalid("certificate.description: must be at most " + MAX_DESCRIPTION + " characters, got "
          + description.length());
    }
    String holder = s.names().get(name);
    if (holder != null && !holder.equals(id)) {
      return Rejection.exists("certificate.name: '" + name + "' is already used by certificate " + holder
          + " in this project");
    }
    return null;
  }
}
