package io.fiberlb.controlplane;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.ipv4.IPv4Address;
import inet.ipaddr.ipv6.IPv6Address;
import io.fiberlb.CborSerializable;
import io.fiberlb.controlplane.model.Rejection;
import io.fiberlb.util.Addresses;
import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * Allocates VIPs from one address range (the entity id is the range in CIDR form). Allocation and release are
 * idempotent per load balancer id: asking twice gives the same address, releasing twice is fine.
 */
public final class VipPoolEntity
    extends EventSourcedBehaviorWithEnforcedReplies<VipPoolEntity.Command, VipPoolEntity.Event, VipPoolEntity.State> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VipPool");

  public sealed interface Command extends CborSerializable {}

  /** @param requested a specific address, or empty for any free one */
  public record Allocate(String lbId, String requested, ActorRef<Reply> replyTo) implements Command {}

  /**
   * Would {@link Allocate} be accepted now, and with which address? Changes nothing: asked by the API before it
   * sends a create, as {@link ProjectEntity.CheckRegister}, and by a create's dry run for the address it would get.
   */
  public record CheckAllocate(String lbId, String requested, ActorRef<Reply> replyTo) implements Command {}

  public record Release(String lbId, ActorRef<Reply> replyTo) implements Command {}

  /** @param address the address held, empty after a release; {@code rejection} null on success */
  public record Reply(String address, Rejection rejection) implements CborSerializable {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Allocated.class, name = "Allocated"),
    @JsonSubTypes.Type(value = Released.class, name = "Released")
  })
  public sealed interface Event extends CborSerializable {}

  public record Allocated(String lbId, String address) implements Event {}

  public record Released(String lbId, String address) implements Event {}

  /** @param byLb address held by each load balancer; the reverse map is derived */
  public record State(Map<String, String> byLb, Map<String, String> byAddress) implements CborSerializable {
    static final State EMPTY = new State(Map.of(), Map.of());

    State apply(Event event) {
      var lbs = new LinkedHashMap<>(byLb);
      var addrs = new LinkedHashMap<>(byAddress);
      if (event instanceof Allocated e) {
        lbs.put(e.lbId(), e.address());
        addrs.put(e.address(), e.lbId());
      } else if (event instanceof Released e) {
        lbs.remove(e.lbId());
        addrs.remove(e.address());
      }
      return new State(lbs, addrs);
    }
  }

  private final String range;
  private final IPAddress block;
  private final BigInteger first;
  private final BigInteger last;
  private final int snapshotEvery;
  /** Where the next search for a free address starts; only a hint, so it is not persisted. */
  private BigInteger cursor;

  public VipPoolEntity(String range, int snapshotEvery) {
    super(PersistenceId.of(TYPE_KEY.name(), range),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
    this.range = range;
    this.block = parseRange(range);
    this.first = first(block);
    this.last = last(block);
    this.cursor = first;
    this.snapshotEvery = snapshotEvery;
  }

  /** The canonical form of a range such as {@code 127.0.10.0/24}; throws IllegalArgumentException if invalid. */
  public static IPAddress parseRange(String cidr) {
    var s = new IPAddressString(cidr);
    if (!s.isPrefixed() || !s.isIPAddress()) {
      throw new IllegalArgumentException("VIP range must be a CIDR like 127.0.10.0/24, got '" + cidr + "'");
    }
    return s.getAddress().toPrefixBlock();
  }

  // Keep the network address (and IPv4 broadcast) out of service on ranges large enough to have them.
  private static boolean reserveEnds(IPAddress block) {
    return block.getPrefixLength() != null && block.getBitCount() - block.getPrefixLength() >= 2;
  }

  private static BigInteger first(IPAddress block) {
    BigInteger lo = block.getLower().getValue();
    return reserveEnds(block) ? lo.add(BigInteger.ONE) : lo;
  }

  private static BigInteger last(IPAddress block) {
    BigInteger hi = block.getUpper().getValue();
    return reserveEnds(block) && block.isIPv4() ? hi.subtract(BigInteger.ONE) : hi;
  }

  /**
   * Why a requested VIP can never be had from {@code range}, whoever holds what: not an address, or not a usable
   * address of the range. Checked before a create is journaled, and again here when the address is allocated.
   */
  public static Optional<Rejection> checkRequested(String range, String requested) {
    Optional<IPAddress> want = Addresses.ip(requested);
    if (want.isEmpty()) {
      return Optional.of(Rejection.invalid("load_balancer.vip_address: must be an IPv4 or IPv6 address, got '"
          + requested + "'"));
    }
    IPAddress block = parseRange(range);
    BigInteger v = want.get().getValue();
    if (want.get().isIPv4() != block.isIPv4() || v.compareTo(first(block)) < 0 || v.compareTo(last(block)) > 0) {
      return Optional.of(Rejection.invalid("load_balancer.vip_address: must be a usable address of the VIP range "
          + range + ", got " + requested));
    }
    return Optional.empty();
  }

  public static String canonicalRange(String cidr) {
    return parseRange(cidr).toCanonicalString();
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
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState().onAnyCommand(this::onCommand);
  }

  private ReplyEffect<Event, State> onCommand(State s, Command cmd) {
    if (cmd instanceof Allocate c) return onAllocate(s, c);
    if (cmd instanceof CheckAllocate c) {
      String held = s.byLb().get(c.lbId());
      if (held != null) return Effect().reply(c.replyTo(), new Reply(held, null));
      Optional<Rejection> problem = problem(s, c.requested());
      if (problem.isPresent()) return Effect().reply(c.replyTo(), new Reply("", problem.get()));
      return Effect().reply(c.replyTo(), new Reply(c.requested().isEmpty() ? free(s, false) : canonical(c.requested()), null));
    }
    if (cmd instanceof Release c) {
      String held = s.byLb().get(c.lbId());
      if (held == null) return Effect().reply(c.replyTo(), new Reply("", null));
      return Effect().persist(new Released(c.lbId(), held)).thenReply(c.replyTo(), ns -> new Reply("", null));
    }
    throw new IllegalArgumentException("unknown command " + cmd);
  }

  private ReplyEffect<Event, State> onAllocate(State s, Allocate c) {
    String held = s.byLb().get(c.lbId());
    if (held != null) return Effect().reply(c.replyTo(), new Reply(held, null));
    Optional<Rejection> problem = problem(s, c.requested());
    if (problem.isPresent()) return refuse(c, problem.get());
    String address = c.requested().isEmpty() ? free(s, true) : canonical(c.requested());
    return Effect().persist(new Allocated(c.lbId(), address)).thenReply(c.replyTo(), ns -> new Reply(address, null));
  }

  /** Why {@code requested} (empty: any free address) cannot be allocated now, if it cannot. */
  private Optional<Rejection> problem(State s, String requested) {
    if (!requested.isEmpty()) {
      Optional<Rejection> unusable = checkRequested(range, requested);
      if (unusable.isPresent()) return unusable;
      String address = canonical(requested);
      if (s.byAddress().containsKey(address)) {
        return Optional.of(Rejection.exists("load_balancer.vip_address: " + address
            + " is already held by another load balancer"));
      }
      return Optional.empty();
    }
    if (BigInteger.valueOf(s.byLb().size()).compareTo(last.subtract(first).add(BigInteger.ONE)) >= 0) {
      return Optional.of(Rejection.exhausted("load_balancer.vip_address: the VIP range " + range
          + " has no free address (" + s.byLb().size() + " in use)"));
    }
    return Optional.empty();
  }

  private ReplyEffect<Event, State> refuse(Allocate c, Rejection r) {
    return Effect().reply(c.replyTo(), new Reply("", r));
  }

  private static String canonical(String address) {
    return Addresses.ip(address).orElseThrow().withoutPrefixLength().toCanonicalString();
  }

  /**
   * Lowest free address at or after the cursor, wrapping once; null when the range is full.
   *
   * @param take move the cursor past it (an allocation), or not (what an allocation would give now)
   */
  private String free(State s, boolean take) {
    BigInteger size = last.subtract(first).add(BigInteger.ONE);
    if (BigInteger.valueOf(s.byLb().size()).compareTo(size) >= 0) return null;
    BigInteger candidate = cursor;
    for (BigInteger tried = BigInteger.ZERO; tried.compareTo(size) < 0; tried = tried.add(BigInteger.ONE)) {
      if (candidate.compareTo(last) > 0) candidate = first;
      String text = render(candidate);
      candidate = candidate.add(BigInteger.ONE);
      if (!s.byAddress().containsKey(text)) {
        if (take) cursor = candidate;
        return text;
      }
    }
    return null;
  }

  private String render(BigInteger value) {
    return block.isIPv4() ? new IPv4Address(value.intValue()).toCanonicalString() : new IPv6Address(value).toCanonicalString();
  }
}
