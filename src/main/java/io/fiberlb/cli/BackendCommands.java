package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.Backend;
import io.fiberlb.api.v1.BackendServiceClient;
import io.fiberlb.api.v1.BackendSpec;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.DeleteBackendRequest;
import io.fiberlb.api.v1.GetBackendRequest;
import io.fiberlb.api.v1.ListBackendsRequest;
import io.fiberlb.api.v1.UpdateBackendRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb backend ...}: the servers behind a pool (Octavia: members). */
@Command(name = "backend",
    description = "Manage backends: one address:port in a pool that connections are sent to.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb backend create --lb web --pool web --name b1 --address 10.0.0.5 \\",
        "      --protocol-port 8080 --weight 10",
        "  fiberlb backend update --lb web b1 --weight 0     # drain it",
        "  fiberlb backend list --lb web --pool web"})
final class BackendCommands extends ResourceCommands<BackendServiceClient> {
  BackendCommands() {
    super("backend", BackendServiceClient::create, Backend.getDescriptor());
  }

  /** The fields of a BackendSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<BackendSpec> {
    Fields() {
      super(BackendSpec.getDefaultInstance());
    }
  }

  private static final String BACKEND =
      "Id or name of the backend (a name must be unique in its load balancer; backends need not have one).";

  private Backend read(String lb, String id) {
    return call(GetBackendRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(),
        BackendServiceClient::getBackend);
  }

  @Command(name = "create", description = "Add a backend to a pool.")
  int create(@Mixin Flags.LbRef lbRef,
      @Option(names = "--pool", order = 1, required = true, paramLabel = "POOL",
          description = "Id or name of the pool to add it to.") String pool,
      @Mixin Fields fields, @Mixin Flags.Idempotency idempotency, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = fields.spec();
    String lb = lbId(lbRef.id);
    var request = CreateBackendRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setPoolId(childId(Names.Kind.POOL, lb, pool)).setBackend(resolved(spec, lb))
        .setRequestId(idempotency.requestId).build();
    Backend created = call(request, BackendServiceClient::createBackend);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one backend.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "BACKEND", description = BACKEND) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.BACKEND, lb, ref)));
  }

  @Command(name = "list", description = "List the backends of a load balancer, or of one of its pools.")
  int list(@Mixin Flags.LbRef lbRef,
      @Option(names = "--pool", order = 1, paramLabel = "POOL",
          description = "Only the backends of this pool (its id or name). Default: every pool's.") String pool,
      @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    String poolId = pool == null ? "" : childId(Names.Kind.POOL, lb, pool);
    return showList(paging, (size, token) -> call(
        ListBackendsRequest.newBuilder().setLoadBalancerId(lb).setPoolId(poolId)
            .setPageSize(size).setPageToken(token).build(),
        BackendServiceClient::listBackends));
  }

  @Command(name = "update",
      description = "Change a backend. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "BACKEND", description = BACKEND) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.BACKEND, lb, ref);
    var request = UpdateBackendRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setBackend(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), BackendServiceClient::updateBackend), lb, wait, () -> read(lb, id));
  }

  @Command(name = "delete", description = "Remove a backend from its pool.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "BACKEND", description = BACKEND) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.BACKEND, lb, ref);
    var request = DeleteBackendRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), BackendServiceClient::deleteBackend), lb, wait,
        () -> read(lb, id));
  }
}
