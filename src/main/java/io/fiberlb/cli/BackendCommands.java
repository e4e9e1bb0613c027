package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.BackendServiceClient;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.DeleteBackendRequest;
import io.fiberlb.api.v1.GetBackendRequest;
import io.fiberlb.api.v1.ListBackendsRequest;
import io.fiberlb.api.v1.UpdateBackendRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb backend ...}: the servers behind a pool (Octavia: members). */
@Command(name = "backend",
    description = "Manage backends: one address:port in a pool that connections are sent to.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb backend create --lb LB --pool POOL --address 10.0.0.5 \\",
        "      --protocol-port 8080 --weight 10",
        "  fiberlb backend update --lb LB BACKEND --weight 0     # drain it",
        "  fiberlb backend list --lb LB --pool POOL"})
final class BackendCommands extends ResourceCommands<BackendServiceClient> {
  BackendCommands() {
    super("backend", BackendServiceClient::create,
        List.of("id", "name", "pool_id", "address", "protocol_port", "weight", "backup", "operating_status"));
  }

  /** The fields of a BackendSpec. */
  static final class Fields extends Flags.Common {
    @Option(names = "--name", order = 10, paramLabel = "NAME",
        description = "Name, at most 255 characters. Default on create: empty.")
    String name;

    @Option(names = "--address", order = 11, paramLabel = "ADDRESS",
        description = "IPv4 or IPv6 address or host name to connect to. Required on create.")
    String address;

    @Option(names = "--protocol-port", order = 12, paramLabel = "PORT",
        description = "Port to connect to, 1..65535. Required on create.")
    Integer protocolPort;

    @Option(names = "--weight", order = 13, paramLabel = "N",
        description = "Share of the connections relative to the other backends, 0..256; 0 drains it (no new"
            + " connections, open ones continue). Default on create: 1.")
    Integer weight;

    @Option(names = "--backup", order = 14, arity = "1", paramLabel = "true|false",
        description = "true: gets connections only while no other backend of the pool is healthy."
            + " Default on create: false.")
    Boolean backup;

    @Option(names = "--monitor-port", order = 15, paramLabel = "PORT",
        description = "Port the health check probes; 0 probes --protocol-port. Default on create: 0.")
    Integer monitorPort;

    BackendSpec spec() {
      var b = BackendSpec.newBuilder();
      set(name, b::setName);
      set(address, b::setAddress);
      set(protocolPort, b::setProtocolPort);
      set(weight, b::setWeight);
      set(backup, b::setBackup);
      set(monitorPort, b::setMonitorPort);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
    }
  }

  @Command(name = "create", description = "Add a backend to a pool.")
  int create(@Mixin Flags.LbRef lb,
      @Option(names = "--pool", order = 1, required = true, paramLabel = "POOL_ID",
          description = "Id of the pool to add it to.") String pool,
      @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin DryRunFlag dryRun) {
    var request = CreateBackendRequest.newBuilder().setLoadBalancerId(lb.id).setPoolId(pool)
        .setValidateOnly(dryRun.dryRun)
        .setBackend(fields.spec()).setRequestId(idempotency.requestId).build();
    return showWritten(call(request, BackendServiceClient::createBackend));
  }

  @Command(name = "get", description = "Show one backend.")
  int get(@Mixin Flags.LbRef lb,
      @Parameters(paramLabel = "BACKEND_ID", description = "Id of the backend.") String id) {
    var request = GetBackendRequest.newBuilder().setLoadBalancerId(lb.id).setId(id).build();
    return show(call(request, BackendServiceClient::getBackend));
  }

  @Command(name = "list", description = "List the backends of a load balancer, or of one of its pools.")
  int list(@Mixin Flags.LbRef lb,
      @Option(names = "--pool", order = 1, paramLabel = "POOL_ID",
          description = "Only the backends of this pool. Default: every pool's.") String pool,
      @Mixin Flags.Paging paging) {
    return showList(paging, (size, token) -> call(
        ListBackendsRequest.newBuilder().setLoadBalancerId(lb.id).setPoolId(pool == null ? "" : pool)
            .setPageSize(size).setPageToken(token).build(),
        BackendServiceClient::listBackends));
  }

  @Command(name = "update",
      description = "Change a backend. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lb,
      @Parameters(paramLabel = "BACKEND_ID", description = "Id of the backend.") String id,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition,
      @Mixin DryRunFlag dryRun) {
    var request = UpdateBackendRequest.newBuilder().setLoadBalancerId(lb.id).setId(id)
        .setValidateOnly(dryRun.dryRun)
        .setBackend(changes(fields.spec()));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), BackendServiceClient::updateBackend));
  }

  @Command(name = "delete", description = "Remove a backend from its pool.")
  int delete(@Mixin Flags.LbRef lb,
      @Parameters(paramLabel = "BACKEND_ID", description = "Id of the backend.") String id,
      @Mixin Flags.Precondition precondition,
      @Mixin DryRunFlag dryRun) {
    var request = DeleteBackendRequest.newBuilder().setLoadBalancerId(lb.id).setId(id)
        .setValidateOnly(dryRun.dryRun);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), BackendServiceClient::deleteBackend));
  }
}
