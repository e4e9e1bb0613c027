package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.DeletePoolRequest;
import io.fiberlb.api.v1.GetPoolRequest;
import io.fiberlb.api.v1.ListPoolsRequest;
import io.fiberlb.api.v1.Pool;
import io.fiberlb.api.v1.PoolServiceClient;
import io.fiberlb.api.v1.PoolSpec;
import io.fiberlb.api.v1.UpdatePoolRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    super("pool", PoolServiceClient::create, Pool.getDescriptor());
  }

  /** The fields of a PoolSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<PoolSpec> {
    Fields() {
      super(PoolSpec.getDefaultInstance());
    }
  }

  private static final String POOL = "Id or name of the pool (a name must be unique in its load balancer).";

  private Pool read(String lb, String id) {
    return call(GetPoolRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(), PoolServiceClient::getPool);
  }

  @Command(name = "create", description = "Create a pool in a load balancer.")
  int create(@Mixin Flags.LbRef lbRef, @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = fields.spec();
    String lb = lbId(lbRef.id);
    var request = CreatePoolRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setPool(resolved(spec, lb))
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
    var request = UpdatePoolRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setPool(resolved(spec, lb));
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
