package io.fiberlb.api;

import com.google.protobuf.Message;
import io.fiberlb.cluster.FailoverWatch;
import io.fiberlb.controlplane.ControlPlaneSettings;
import io.fiberlb.controlplane.LoadBalancerEntity;
import io.fiberlb.controlplane.LoadBalancerProtocol.Command;
import io.fiberlb.controlplane.LoadBalancerProtocol.Reply;
import io.fiberlb.controlplane.ProjectEntity;
import io.fiberlb.controlplane.VipPoolEntity;
import io.fiberlb.controlplane.certificate.CertificateEntity;
import io.fiberlb.controlplane.model.Caller;
import io.fiberlb.util.Hashes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;

/**
 * What every RPC does: check the wire shape, ask the entity through sharding, turn a typed rejection into a
 * precise status. Callbacks run on the actor system's dispatcher, never on the common pool.
 */
public final class ControlPlaneGateway {
  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 1000;

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final Executor executor;
  private final Identity identity;
  private final Supplier<String> journalDown;
  private final FailoverWatch failover;
  private final String vipRange;

  public ControlPlaneGateway(ActorSystem<?> system, Duration timeout, Identity identity) {
    this(system, timeout, identity, () -> null);
  }

  /** @param journalDown why the journal database does not answer now, or null (writes are refused meanwhile) */
  public ControlPlaneGateway(ActorSystem<?> system, Duration timeout, Identity identity, Supplier<String> journalDown) {
    this(system, timeout, identity, journalDown, null);
  }

  /** @param failover which load balancers are failing over; null outside a cluster of several nodes */
  public ControlPlaneGateway(ActorSystem<?> system, Duration timeout, Identity identity, Supplier<String> journalDown,
      FailoverWatch failover) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.executor = system.executionContext();
    this.identity = identity;
    this.journalDown = journalDown;
    this.failover = failover;
    this.vipRange = ControlPlaneSettings.fromConfig(system.settings().config()).vipRange();
  }

  /** The VIP range, for checks a request can fail before any entity is asked. */
  public String vipRange() {
    return vipRange;
  }

  public Executor executor() {
    return executor;
  }

  public Caller caller(Metadata md, String requestId) {
    return identity.caller(md, requestId);
  }

  /**
   * Runs an RPC body after the request's wire checks ({@link WireChecks}), turning anything either throws before
   * it has a future into a failed future.
   */
  public static <T> CompletionStage<T> guard(Message request, Supplier<CompletionStage<T>> body) {
    try {
      WireChecks.check(request);
      return body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.translate(e, "the server"));
    }
  }

  /**
   * Ask one load balancer; a Rejected reply fails the future with its status, any other goes to {@code onReply}.
   * A write is refused at once, with UNAVAILABLE and the reason, while the journal database does not answer or
   * while the load balancer is failing over ({@link FailoverWatch}); one in flight when its node stops answering is
   * answered at once too, instead of after the ask timeout.
   */
  public <T> CompletionStage<T> ask(String lbId, Function<ActorRef<Reply>, Command> message, Function<Reply, T> onReply) {
    // Only its kind (never sent); a dry run (validate_only) writes nothing, so it goes as a read.
    boolean write = message.apply(null) instanceof LoadBalancerEntity.WriteCommand w && !w.validateOnly();
    if (!write) return send(lbId, message, onReply);
    String down = journalDown.get();
    if (down != null) return unavailable("not written: " + down + "; nothing was changed, retry when it is back");
    if (failover == null) return send(lbId, message, onReply);
    return failover.failingOver(lbId).thenCompose(reason -> {
      if (reason != null) return unavailable("not written: " + reason + "; nothing was changed, retry in a few seconds");
      CompletableFuture<T> result = new CompletableFuture<>();
      send(lbId, message, onReply).whenComplete((reply, err) -> {
        if (err != null) result.completeExceptionally(err);
        else result.complete(reply);
      });
      failover.watch(result, node -> failover.failingOver(lbId, java.util.Set.of(node)).thenAccept(why -> {
        if (why != null) {
          result.completeExceptionally(new GrpcServiceException(io.grpc.Status.UNAVAILABLE.withDescription(why
              + "; this write was in flight: it may or may not have been applied, read it again or retry with the "
              + "same request_id")));
        }
      }));
      return result;
    });
  }

  private static <T> CompletionStage<T> unavailable(String message) {
    return CompletableFuture.failedFuture(new GrpcServiceException(io.grpc.Status.UNAVAILABLE.withDescription(message)));
  }

  private <T> CompletionStage<T> send(String lbId, Function<ActorRef<Reply>, Command> message,
      Function<Reply, T> onReply) {
    return sharding.entityRefFor(LoadBalancerEntity.TYPE_KEY, lbId)
        .<Reply>ask(message::apply, timeout)
        .handleAsync((reply, err) -> {
          if (err != null) throw asRuntime(Errors.translate(err, "load balancer " + lbId));
          if (reply instanceof LoadBalancerEntity.Rejected r) throw Errors.toStatus(r.rejection());
          return onReply.apply(reply);
        }, executor);
  }

  public CompletionStage<ProjectEntity.Page> listProject(Caller caller, long after, int limit) {
    return sharding.entityRefFor(ProjectEntity.TYPE_KEY, ProjectEntity.entityId(caller.orgId(), caller.projectId()))
        .<ProjectEntity.Reply>ask(r -> new ProjectEntity.ListLoadBalancers(after, limit, r), timeout)
        .handleAsync((reply, err) -> {
          if (err != null) throw asRuntime(Errors.translate(err, "the project directory"));
          return (ProjectEntity.Page) reply;
        }, executor);
  }

  /**
   * Ask the caller's project entity; a Refused reply fails the future with its status. A write ({@code write}) is
   * refused at once with UNAVAILABLE while the journal database does not answer, as load balancer writes are.
   */
  /** How many certificates the caller's project holds (its certificate entity counts them). */
  public CompletionStage<Integer> certificatesHeld(Caller caller) {
    return sharding.entityRefFor(CertificateEntity.TYPE_KEY,
            CertificateEntity.entityId(caller.orgId(), caller.projectId()))
        .<CertificateEntity.Reply>ask(CertificateEntity.ListAll::new, timeout)
        .handleAsync((reply, err) -> {
          if (err != null) throw asRuntime(Errors.translate(err, "the project's certificates"));
          return ((CertificateEntity.Listing) reply).certificates().size();
        }, executor);
  }

  public CompletionStage<ProjectEntity.Reply> askProject(Caller caller,
      Function<ActorRef<ProjectEntity.Reply>, ProjectEntity.Command> message, boolean write) {
    String down = write ? journalDown.get() : null;
    if (down != null) {
      return CompletableFuture.failedFuture(new org.apache.pekko.grpc.GrpcServiceException(io.grpc.Status
          .UNAVAILABLE.withDescription("not written: " + down + "; nothing was changed, retry when it is back")));
    }
    return sharding.entityRefFor(ProjectEntity.TYPE_KEY, ProjectEntity.entityId(caller.orgId(), caller.projectId()))
        .<ProjectEntity.Reply>ask(message::apply, timeout)
        .handleAsync((reply, err) -> {
          if (err != null) throw asRuntime(Errors.translate(err, "the project directory"));
          if (reply instanceof ProjectEntity.Refused r) throw Errors.toStatus(r.rejection());
          return reply;
        }, executor);
  }

  /**
   * What the project and the VIP pool would say to a new load balancer now (name free, quota, VIP free): asked
   * before the create is sent, so that such a refusal starts no entity and journals nothing. The create's saga
   * still decides (another create may take the name meanwhile); this only keeps the common refusal traceless.
   */
  public CompletionStage<Precheck> precheckCreate(Caller caller, String lbId, String name, String vip) {
    var project = sharding.entityRefFor(ProjectEntity.TYPE_KEY, ProjectEntity.entityId(caller.orgId(), caller.projectId()))
        .<ProjectEntity.Reply>ask(r -> new ProjectEntity.CheckRegister(lbId, name, r), timeout);
    var pool = sharding.entityRefFor(VipPoolEntity.TYPE_KEY, vipRange)
        .<VipPoolEntity.Reply>ask(r -> new VipPoolEntity.CheckAllocate(lbId, vip, r), timeout);
    return project.thenCombineAsync(pool, (p, v) -> {
      if (p instanceof ProjectEntity.Refused r) throw Errors.toStatus(r.rejection());
      if (v.rejection() != null) throw Errors.toStatus(v.rejection());
      return new Precheck(((ProjectEntity.Done) p).at() > 0, v.address());
    }, executor).exceptionally(err -> {
      throw asRuntime(Errors.translate(err, "the project directory"));
    });
  }

  /**
   * What the project and the VIP pool said to a create.
   *
   * @param registered the load balancer exists already (its entity too): a create repeated with its request id
   * @param vip the address the create would get now
   */
  public record Precheck(boolean registered, String vip) {}

  private static RuntimeException asRuntime(Throwable t) {
    return t instanceof RuntimeException r ? r : new RuntimeException(t);
  }

  /**
   * A digest of a create request's body without its request_id and validate_only, kept with the idempotency record: a repeat of the
   * request id with another body is refused. protobuf-java writes known fields in field-number order, and unknown
   * fields never get this far ({@link WireChecks}), so equal requests give equal bytes.
   */
  public static String requestHash(Message request) {
    var b = request.toBuilder();
    for (String ignored : new String[] {"request_id", "validate_only"}) { // a dry run repeats the same request
      var f = request.getDescriptorForType().findFieldByName(ignored);
      if (f != null) b.clearField(f);
    }
    Message body = b.build();
    return Hashes.sha256Hex(body.toByteArray()).substring(0, 32);
  }

  /** Ids are UUIDs; anything else can never exist, and saying so is more useful than NOT_FOUND. */
  public static String id(String field, String value) {
    if (value.isEmpty()) throw Errors.invalid(field + ": is required");
    try {
      if (UUID.fromString(value).toString().equals(value.toLowerCase())) return value.toLowerCase();
    } catch (IllegalArgumentException ignored) {
      // fall through
    }
    throw Errors.invalid(field + ": must be a UUID like 3f2c1a9e-5b7d-4c1e-9a2b-7d6e5f4c3b2a, got '" + value + "'");
  }

  public static int pageSize(int requested) {
    if (requested < 0) throw Errors.invalid("page_size: must be 0 (default " + DEFAULT_PAGE_SIZE + ") or more, got " + requested);
    return requested == 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
  }

  /**
   * What a page token is bound to: the list it came from and the caller's tenant. A token is only taken back by
   * the same list (kind and parent) of the same org and project.
   */
  public static String listScope(Caller caller, String list, String parent) {
    return caller.orgId() + "\n" + caller.projectId() + "\n" + list + "\n" + parent;
  }

  /**
   * Page tokens are opaque to clients: a position in creation order and a digest of the list's scope
   * ({@link #listScope}), versioned so the format can change.
   */
  public static long decodeToken(String token, String scope) {
    if (token.isEmpty()) return 0;
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      String[] parts = s.split(":", -1);
      if (parts.length == 3 && parts[0].equals("v2") && parts[1].matches("[1-9][0-9]{0,18}")) {
        if (!parts[2].equals(digest(scope))) {
          throw Errors.invalid("page_token: belongs to another list or project; pass next_page_token from the"
              + " previous page of this list");
        }
        return Long.parseLong(parts[1]);
      }
    } catch (IllegalArgumentException ignored) {
      // fall through
    }
    throw Errors.invalid("page_token: not a token this server gave out; pass next_page_token from the previous page");
  }

  public static String encodeToken(long next, String scope) {
    if (next == 0) return "";
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("v2:" + next + ":" + digest(scope))
        .getBytes(StandardCharsets.UTF_8));
  }

  private static String digest(String scope) {
    return Hashes.sha256Hex(scope).substring(0, 16);
  }
}
