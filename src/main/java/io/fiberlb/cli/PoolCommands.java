package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import com.google.protobuf.Duration;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeletePoolRequest;
import io.fiberlb.api.v1.GetPoolRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListPoolsRequest;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolServiceClient;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.SessionPersistence;
import io.fiberlb.api.v1.UpdatePoolRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb pool ...}: groups of backends and how connections are spread over them. */
@Command(name = "pool",
    description = "Manage pools: a group of backends, the algorithm that picks one for each connection, and the"
        + " health check that watches them.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb pool create --lb web --name web --protocol TCP \\",
        "      --lb-algorithm MAGLEV --health-check-id web-check",
        "  fiberlb pool create --lb LB --name dns --protocol UDP \\",
        "      --lb-algorithm SOURCE_IP_PORT --health-check-id UDP_HC",
        "  fiberlb pool update --lb LB POOL --session-persistence SOURCE_IP \\",
        "      --session-persistence-timeout 30m",
        "  fiberlb pool update --lb LB POOL --health-check-id ''   # detach the check"})
final class PoolCommands extends ResourceCommands<PoolServiceClient> {
  PoolCommands() {
    super("pool", PoolServiceClient::create,
        List.of("id", "name", "protocol", "lb_algorithm", "health_check_id", "provisioning_status",
            "operating_status", "operating_status_reason"));
  }

  /** The fields of a PoolSpec. */
  static final class Fields extends Flags.Common {
    @Option(names = "--name", order = 10, paramLabel = "NAME",
        description = "Name, at most 255 characters. Default on create: empty.")
    String name;

    @Option(names = "--description", order = 11, paramLabel = "TEXT",
        description = "Free text, at most 255 characters. Default on create: empty.")
    String description;

    @Option(names = "--protocol", order = 12, paramLabel = "PROTOCOL", converter = Flags.ProtocolValue.class,
        completionCandidates = Flags.ProtocolValue.class,
        description = "One of ${COMPLETION-CANDIDATES}. A UDP pool serves UDP"
            + " listeners and takes UDP_CONNECT health checks; a TCP pool serves TCP listeners and takes TCP, HTTP,"
            + " HTTPS or TLS_HELLO checks; an HTTP pool serves HTTP, TERMINATED_HTTPS and TCP listeners; PROXY and"
            + " PROXYV2 pools send a PROXY protocol header to their backends first. Cannot change after create."
            + " Default on create: TCP.")
    Protocol protocol;

    @Option(names = "--lb-algorithm", order = 13, paramLabel = "ALGORITHM",
        converter = Flags.LbAlgorithmValue.class, completionCandidates = Flags.LbAlgorithmValue.class,
        description = "How a backend is picked for each connection: one of ${COMPLETION-CANDIDATES}."
            + " Default on create: ROUND_ROBIN.")
    LbAlgorithm lbAlgorithm;

    @Option(names = "--session-persistence", order = 14, paramLabel = "TYPE",
        converter = Flags.SessionPersistenceValue.class,
        completionCandidates = Flags.SessionPersistenceValue.class,
        description = "One of ${COMPLETION-CANDIDATES}. SOURCE_IP sends a client address to the backend it had"
            + " before; HTTP_COOKIE (HTTP pools) sets a cookie naming the backend; APP_COOKIE (HTTP pools) follows"
            + " the application's cookie --cookie-name. Default on create: NONE.")
    SessionPersistence.Type sessionPersistence;

    @Option(names = "--cookie-name", order = 17, paramLabel = "NAME",
        description = "With --session-persistence APP_COOKIE (required there): the application's cookie whose"
            + " value keeps a client on its backend.")
    String cookieName;

    @Option(names = "--session-persistence-timeout", order = 15, paramLabel = "DURATION",
        converter = Flags.DurationValue.class,
        description = "How long a client address stays with its backend after its last connection (like 30m, 1h);"
            + " give it with --session-persistence. Default on create: 1h.")
    Duration sessionPersistenceTimeout;

    @Option(names = "--health-check-id", order = 16, paramLabel = "HC",
        description = "Health check that probes the backends: its id, or its name in the load balancer; '' detaches"
            + " it. Default on create: none (backends stay NO_MONITOR).")
    String healthCheckId;

    PoolSpec spec() {
      var b = PoolSpec.newBuilder();
      set(name, b::setName);
      set(description, b::setDescription);
      set(protocol, b::setProtocol);
      set(lbAlgorithm, b::setLbAlgorithm);
      if (cookieName != null && sessionPersistence == null) {
        throw new Flags.UsageException("--cookie-name needs --session-persistence APP_COOKIE too");
      }
      if (sessionPersistenceTimeout != null && sessionPersistence == null) {
        // The wire carries type and timeout together and refuses a persistence without a type.
        throw new Flags.UsageException(
            "--session-persistence-timeout needs --session-persistence too (NONE or SOURCE_IP)");
      }
      if (sessionPersistence != null) {
        var sp = SessionPersistence.newBuilder().setType(sessionPersistence);
        set(sessionPersistenceTimeout, sp::setTimeout);
        set(cookieName, sp::setCookieName);
        b.setSessionPersistence(sp);
      }
      set(healthCheckId, b::setHealthCheckId);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
    }
  }

  private static final String POOL = "Id or name of the pool (a name must be unique in its load balancer).";

  /** The spec with its health check named by id. */
  private PoolSpec resolved(PoolSpec spec, String lb) {
    if (!spec.hasHealthCheckId()) return spec;
    return spec.toBuilder().setHealthCheckId(childId(Names.Kind.HEALTH_CHECK, lb, spec.getHealthCheckId())).build();
  }

  private Pool read(String lb, String id) {
    return call(GetPoolRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(), PoolServiceClient::getPool);
  }

  @Command(name = "create", description = "Create a pool in a load balancer.")
  int create(@Mixin Flags.LbRef lbRef, @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = fields.spec();
    String lb = lbId(lbRef.id);
    var request = CreatePoolRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setPool(resolved(spec, lb))
        .setRequestId(idempotency.requestId).build();
    Pool created = call(request, PoolServiceClient::createPool);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one pool.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POOL", description = POOL) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.POOL, lb, ref)));
  }

  @Command(name = "list", description = "List the pools of a load balancer, oldest first.")
  int list(@Mixin Flags.LbRef lbRef, @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    return showList(paging, (size, token) -> call(
        ListPoolsRequest.newBuilder().setLoadBalancerId(lb).setPageSize(size).setPageToken(token).build(),
        PoolServiceClient::listPools));
  }

  @Command(name = "update",
      description = "Change a pool. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POOL", description = POOL) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.POOL, lb, ref);
    var request = UpdatePoolRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id).setPool(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), PoolServiceClient::updatePool), lb, wait, () -> read(lb, id));
  }

  @Command(name = "delete",
      description = "Delete a pool and its backends. Refused while a listener has it as its default pool.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POOL", description = POOL) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.POOL, lb, ref);
    var request = DeletePoolRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), PoolServiceClient::deletePool), lb, wait, () -> read(lb, id));
  }
}
