package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.CreateHealthCheckRequest;
import io.fiberlb.api.v1.DeleteHealthCheckRequest;
import io.fiberlb.api.v1.GetHealthCheckRequest;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckServiceClient;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.ListHealthChecksRequest;
import io.fiberlb.api.v1.UpdateHealthCheckRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code fiberlb healthcheck ...}: how the backends of a pool are probed (Octavia: health monitors). */
@Command(name = "healthcheck",
    description = "Manage health checks: how the backends of the pools that use one are probed and when they"
        + " count as up or down.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb healthcheck create --lb web --name web-check --type HTTP --interval 2s \\",
        "      --timeout 1s --rise 2 --fall 3 --url-path /health",
        "  fiberlb healthcheck create --lb LB --type TCP",
        "  fiberlb healthcheck create --lb LB --type UDP_CONNECT --interval 5s --timeout 2s",
        "  fiberlb healthcheck update --lb web web-check --expected-codes 200-299"})
final class HealthCheckCommands extends ResourceCommands<HealthCheckServiceClient> {
  HealthCheckCommands() {
    super("health check", HealthCheckServiceClient::create, HealthCheck.getDescriptor());
  }

  /** The fields of a HealthCheckSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<HealthCheckSpec> {
    Fields() {
      super(HealthCheckSpec.getDefaultInstance());
    }
  }

  private static final String HC = "Id or name of the health check (a name must be unique in its load balancer).";

  private HealthCheck read(String lb, String id) {
    return call(GetHealthCheckRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(),
        HealthCheckServiceClient::getHealthCheck);
  }

  @Command(name = "create", description = "Create a health check in a load balancer; a pool uses it through"
      + " --health-check-id.")
  int create(@Mixin Flags.LbRef lbRef, @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = fields.spec();
    String lb = lbId(lbRef.id);
    var request = CreateHealthCheckRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setHealthCheck(resolved(spec, lb))
        .setRequestId(idempotency.requestId).build();
    HealthCheck created = call(request, HealthCheckServiceClient::createHealthCheck);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one health check.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "HC", description = HC) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.HEALTH_CHECK, lb, ref)));
  }

  @Command(name = "list", description = "List the health checks of a load balancer, oldest first.")
  int list(@Mixin Flags.LbRef lbRef, @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    return showList(paging, (size, token) -> call(
        ListHealthChecksRequest.newBuilder().setLoadBalancerId(lb).setPageSize(size).setPageToken(token).build(),
        HealthCheckServiceClient::listHealthChecks));
  }

  @Command(name = "update",
      description = "Change a health check. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "HC", description = HC) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.HEALTH_CHECK, lb, ref);
    var request = UpdateHealthCheckRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setHealthCheck(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), HealthCheckServiceClient::updateHealthCheck), lb, wait,
        () -> read(lb, id));
  }

  @Command(name = "delete", description = "Delete a health check. Refused while a pool uses it.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "HC", description = HC) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.HEALTH_CHECK, lb, ref);
    var request = DeleteHealthCheckRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), HealthCheckServiceClient::deleteHealthCheck), lb, wait,
        () -> read(lb, id));
  }
}
