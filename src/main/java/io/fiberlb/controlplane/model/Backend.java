package io.fiberlb.controlplane.model;

import static io.fiberlb.controlplane.model.ChildPatch.or;

import io.fiberlb.controlplane.model.Enums.Kind;
import io.fiberlb.controlplane.model.Validation.Check;
import io.fiberlb.util.Addresses;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A backend (Octavia: member): one address:port of a pool. Weight 0 drains it. */
public record Backend(
    String id,
    String poolId,
    String name,
    String address,
    int protocolPort,
    int weight,
    boolean adminStateUp,
    boolean backup,
    int monitorPort,
    List<String> tags,
    long version,
    long createdVersion,
    Instant createdAt,
    Instant updatedAt)
    implements Child {

  public static final int MAX_WEIGHT = 256;

  public static Backend defaults(String id, String poolId, long version, Instant now) {
    return new Backend(id, poolId, "", "", 0, 1, true, false, 0, List.of(), version, version, now, now);
  }

  @Override
  public Kind kind() {
    return Kind.BACKEND;
  }

  @Override
  public String parentId() {
    return poolId;
  }

  @Override
  public void check(Check c, Child before) {
    Optional<String> problem = Addresses.backendProblem(address);
    c.rule(problem.isEmpty(), "backend.address", problem.orElse(""));
    Validation.port(c, "backend.protocol_port", protocolPort);
    c.rule(weight >= 0 && weight <= MAX_WEIGHT, "backend.weight",
        "must be 0.." + MAX_WEIGHT + " (0 drains the backend), got " + weight);
    c.rule(monitorPort >= 0 && monitorPort <= 65535, "backend.monitor_port",
        "must be 1..65535, or 0 to probe protocol_port, got " + monitorPort);
  }

  @Override
  public Optional<Rejection> checkTree(Tree tree, Child before) {
    for (Child other : tree.children().values()) {
      if (other instanceof Backend o && !o.id().equals(id) && o.poolId().equals(poolId)
          && o.address().equalsIgnoreCase(address) && o.protocolPort() == protocolPort) {
        return Optional.of(Rejection.exists("backend.address: " + address + ":" + protocolPort
            + " is already backend " + o.id() + " of pool " + poolId));
      }
    }
    return Optional.empty();
  }

  public record Patch(
      String name,
      String address,
      Integer protocolPort,
      Integer weight,
      Boolean adminStateUp,
      Boolean backup,
      Integer monitorPort,
      List<String> tags)
      implements ChildPatch {
    public static final Patch EMPTY = new Patch(null, null, null, null, null, null, null, null);

    @Override
    public Kind kind() {
      return Kind.BACKEND;
    }

    @Override
    public List<String> missingForCreate() {
      return ChildPatch.missing(Kind.BACKEND, "address", address, "protocol_port", protocolPort);
    }

    @Override
    public Child applyTo(Child base, long version, Instant now) {
      var b = (Backend) base;
      return new Backend(b.id(), b.poolId(), or(name, b.name()), or(address, b.address()),
          or(protocolPort, b.protocolPort()), or(weight, b.weight()), or(adminStateUp, b.adminStateUp()),
          or(backup, b.backup()), or(monitorPort, b.monitorPort()), or(tags, b.tags()), version, b.createdVersion(),
          b.createdAt(), now);
    }
  }
}
