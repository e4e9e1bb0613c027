package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import com.google.protobuf.Duration;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeletePoolRequest;
import io.fiberlb.api.v1.GetPoolRequest;
import io.fiberlb.api.v1.LbAlgorithm;
import io.fiberlb.api.v1.ListPoolsRequest;
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
        "  fiberlb pool create --lb LB --name web --protocol TCP \\",
        "      --lb-algorithm MAGLEV --health-check-id HC",
        "  fiberlb pool create --lb LB --name dns --protocol UDP \\",
        "      --lb-algorithm SOURCE_IP_PORT --health-check-id UDP_HC",
        "  fiberlb pool update --lb LB POOL --session-persistence SOURCE_IP \\",
        "      --session-persistence-timeout 30m",
        "  fiberlb pool update --lb LB POOL --health-check-id ''   # detach the check"})
final class PoolCommands extends ResourceCommands<PoolServiceClient> {
  PoolCommands() {
    super("pool", PoolServiceClient::create,
        List.of("id", "name", "protocol", "lb_algorithm", "health_check_id", "provisioning_status",
            "operating_status"));
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
        description = "One of ${COMPLETION-CANDIDATES} (TCP and UDP are served). A UDP pool serves UDP"
            + " listeners and takes UDP_CONNECT health checks; a TCP pool serves TCP listeners and takes TCP or HTTP"
            + " checks. Cannot change after create. Default on create: TCP.")
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
            + " before. Default on create: NONE.")
    SessionPersistence.Type sessionPersistence;

    @Option(names = "--session-persistence-timeout", order = 15, paramLabel = "DURATION",
        converter = Flags.DurationValue.class,
        description = "How long a client address stays with its backend after its last connection (like 30m, 1h);"
            + " give it with --session-persistence. Default on create: 1h.")
    Duration sessionPersistenceTimeout;

    @Option(names = "--health-check-id", order = 16, paramLabel = "HC_ID",
        description = "Health check that probes the backends; '' detaches it. Default on create: none (backends"
            + " stay NO_MONITOR).")
    String healthCheckId;

    PoolSpec spec() {
      var b = PoolSpec.newBuilder();
      set(name, b::setName);
      set(description, b::setDescription);
      set(protocol, b::setProtocol);
      set(lbAlgorithm, b::setLbAlgorithm);
      if (sessionPersistenceTimeout != null && sessionPersistence == null) {
        // The wire carries type and timeout together and refuses a persistence without a type.
        throw new Flags.UsageException(
            "--session-persistence-timeout needs --session-persistence too (NONE or SOURCE_IP)");
      }
      if (sessionPersistence != null) {
        var sp = SessionPersistence.newBuilder().setType(sessionPersistence);
        set(sessionPersistenceTimeout, sp::setTimeout);
        b.setSessionPersistence(sp);
      }
      set(healthCheckId, b::setHealthCheckId);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
    }
  }

  @Command(name = "create", description = "Create a pool in a load balancer.")
  int create(@Mixin Flags.LbRef lb, @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin DryRunFlag dryRun) {
    var request = CreatePoolRequest.newBuilder().setLoadBalancerId(lb.id).setPool(fields.spec())
        .setValidateOnly(dryRun.dryRun)
        .setRequestId(idempotency.requestId).build();
    return showWritten(call(request, PoolServiceClient::createPool));
  }

  @Command(name = "get", description = "Show one pool.")
  int get(@Mixin Flags.LbRef lb, @Parameters(paramLabel = "POOL_ID", description = "Id of the pool.") String id) {
    var request = GetPoolRequest.newBuilder().setLoadBalancerId(lb.id).setId(id).build();
    return show(call(request, PoolServiceClient::getPool));
  }

  @Command(name = "list", description = "List the pools of a load balancer, oldest first.")
  int list(@Mixin Flags.LbRef lb, @Mixin Flags.Paging paging) {
    return showList(paging, (size, token) -> call(
        ListPoolsRequest.newBuilder().setLoadBalancerId(lb.id).setPageSize(size).setPageToken(token).build(),
        PoolServiceClient::listPools));
  }

  @Command(name = "update",
      description = "Change a pool. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lb, @Parameters(paramLabel = "POOL_ID", description = "Id of the pool.") String id,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition,
      @Mixin DryRunFlag dryRun) {
    var request = UpdatePoolRequest.newBuilder().setLoadBalancerId(lb.id).setId(id)
        .setValidateOnly(dryRun.dryRun)
        .setPool(changes(fields.spec()));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), PoolServiceClient::updatePool));
  }

  @Command(name = "delete",
      description = "Delete a pool and its backends. Refused while a listener has it as its default pool.")
  int delete(@Mixin Flags.LbRef lb, @Parameters(paramLabel = "POOL_ID", description = "Id of the pool.") String id,
      @Mixin Flags.Precondition precondition,
      @Mixin DryRunFlag dryRun) {
    var request = DeletePoolRequest.newBuilder().setLoadBalancerId(lb.id).setId(id)
        .setValidateOnly(dryRun.dryRun);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), PoolServiceClient::deletePool));
  }
}
