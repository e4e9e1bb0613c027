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
import java.util.List;
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
    super("L7 policy", L7PolicyServiceClient::create,
        List.of("id", "name", "listener_id", "action", "position", "redirect_pool_id", "redirect_url",
            "redirect_prefix", "provisioning_status", "operating_status"));
  }

  /** The fields of an L7PolicySpec. */
  static final class Fields extends Flags.Common {
    @Option(names = "--name", order = 10, paramLabel = "NAME",
        description = "Name, at most 255 characters. Default on create: empty.")
    String name;

    @Option(names = "--description", order = 11, paramLabel = "TEXT",
        description = "Free text, at most 255 characters. Default on create: empty.")
    String description;

    @Option(names = "--action", order = 12, paramLabel = "ACTION",
        description = "REJECT (403), REDIRECT_TO_URL, REDIRECT_PREFIX or REDIRECT_TO_POOL. Required on create; a new"
            + " action drops the old one's target unless that is given too.")
    L7Policy.Action action;

    @Option(names = "--position", order = 13, paramLabel = "N",
        description = "Where it is tried, 1 first; the policies from there on move down. Default on create: last.")
    Integer position;

    @Option(names = "--redirect-url", order = 14, paramLabel = "URL",
        description = "REDIRECT_TO_URL: the absolute http:// or https:// URL clients are sent to.")
    String redirectUrl;

    @Option(names = "--redirect-prefix", order = 15, paramLabel = "URL",
        description = "REDIRECT_PREFIX: scheme://host[:port] the request's path and query are appended to.")
    String redirectPrefix;

    @Option(names = "--redirect-pool-id", order = 16, paramLabel = "POOL",
        description = "REDIRECT_TO_POOL: the pool of this load balancer that serves the request (id or name).")
    String redirectPoolId;

    @Option(names = "--redirect-http-code", order = 17, paramLabel = "CODE",
        description = "The redirect's status: 301, 302, 303, 307 or 308. Default on create: 302.")
    Integer redirectHttpCode;

    L7PolicySpec spec() {
      var b = L7PolicySpec.newBuilder();
      set(name, b::setName);
      set(description, b::setDescription);
      set(action, b::setAction);
      set(position, b::setPosition);
      set(redirectUrl, b::setRedirectUrl);
      set(redirectPrefix, b::setRedirectPrefix);
      set(redirectPoolId, b::setRedirectPoolId);
      set(redirectHttpCode, b::setRedirectHttpCode);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
    }
  }

  private static final String POLICY = "Id or name of the L7 policy (a name must be unique in its load balancer).";

  /** The spec with its pool named by id. */
  private L7PolicySpec resolved(L7PolicySpec spec, String lb) {
    if (!spec.hasRedirectPoolId() || spec.getRedirectPoolId().isEmpty()) return spec;
    return spec.toBuilder().setRedirectPoolId(childId(Names.Kind.POOL, lb, spec.getRedirectPoolId())).build();
  }

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
        .setListenerId(listenerId).setPageSize(size).setPageToken(token).build(), L7PolicyServiceClient::listL7Policies));
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
