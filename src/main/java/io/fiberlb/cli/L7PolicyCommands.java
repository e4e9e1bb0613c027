package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.CreateL7PolicyRequest;
import io.fiberlb.api.v1.DeleteL7PolicyRequest;
import io.fiberlb.api.v1.GetL7PolicyRequest;
import io.fiberlb.api.v1.L7Policy;
import io.fiberlb.api.v1.L7PolicyServiceClient;
import io.fiberlb.api.v1.L7PolicySpec;
import io.fiberlb.api.v1.ListL7PoliciesRequest;
import io.fiberlb.api.v1.UpdateL7PolicyRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb l7policy ...}: what an HTTP listener does with requests its rules match (Octavia's l7policy). */
@Command(name = "l7policy",
    description = "Manage L7 policies of HTTP and TERMINATED_HTTPS listeners: tried by position (1 first), the first"
        + " whose rules all match a request decides it (reject, redirect, or another pool).",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb l7policy create --lb LB --listener web --name api --action REDIRECT_TO_POOL \\",
        "      --redirect-pool-id api-pool --position 1",
        "  fiberlb l7policy create --lb LB --listener web --action REDIRECT_PREFIX \\",
        "      --redirect-prefix https://www.example.com --redirect-http-code 301",
        "  fiberlb l7policy list --lb LB --listener web"})
final class L7PolicyCommands extends ResourceCommands<L7PolicyServiceClient> {
  L7PolicyCommands() {
    super("L7 policy", L7PolicyServiceClient::create, L7Policy.getDescriptor());
  }

  /** The fields of a L7PolicySpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<L7PolicySpec> {
    Fields() {
      super(L7PolicySpec.getDefaultInstance());
    }
  }

  private static final String POLICY = "Id or name of the L7 policy (a name must be unique in its load balancer).";

  private L7Policy read(String lb, String id) {
    return call(GetL7PolicyRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(),
        L7PolicyServiceClient::getL7Policy);
  }

  @Command(name = "create", description = "Create an L7 policy on an HTTP or TERMINATED_HTTPS listener.")
  int create(@Mixin Flags.LbRef lbRef,
      @Option(names = "--listener", order = 1, required = true, paramLabel = "LISTENER",
          description = "Id or name of the listener.") String listener,
      @Mixin Fields fields, @Mixin Flags.Idempotency idempotency, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    var request = CreateL7PolicyRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setListenerId(childId(Names.Kind.LISTENER, lb, listener)).setL7Policy(resolved(fields.spec(), lb))
        .setRequestId(idempotency.requestId).build();
    L7Policy created = call(request, L7PolicyServiceClient::createL7Policy);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one L7 policy.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POLICY", description = POLICY) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.L7_POLICY, lb, ref)));
  }

  @Command(name = "list", description = "List the L7 policies of a load balancer, or of one listener, oldest first.")
  int list(@Mixin Flags.LbRef lbRef,
      @Option(names = "--listener", order = 1, paramLabel = "LISTENER",
          description = "Only the policies of this listener (its id or name). Default: every listener's.")
      String listener,
      @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    String listenerId = listener == null ? "" : childId(Names.Kind.LISTENER, lb, listener);
    return showList(paging, (size, token) -> call(ListL7PoliciesRequest.newBuilder().setLoadBalancerId(lb)
        .setListenerId(listenerId).setPageSize(size).setPageToken(token).build(),
        L7PolicyServiceClient::listL7Policies));
  }

  @Command(name = "update",
      description = "Change an L7 policy. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POLICY", description = POLICY) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.L7_POLICY, lb, ref);
    var request = UpdateL7PolicyRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setL7Policy(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), L7PolicyServiceClient::updateL7Policy), lb, wait, () -> read(lb, id));
  }

  @Command(name = "delete", description = "Delete an L7 policy and its rules; the policies after it move up.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "POLICY", description = POLICY) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait, @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.L7_POLICY, lb, ref);
    var request = DeleteL7PolicyRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), L7PolicyServiceClient::deleteL7Policy), lb, wait, () -> read(lb, id));
  }
}
