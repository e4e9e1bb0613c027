package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.CreateL7RuleRequest;
import io.fiberlb.api.v1.DeleteL7RuleRequest;
import io.fiberlb.api.v1.GetL7RuleRequest;
import io.fiberlb.api.v1.L7Rule;
import io.fiberlb.api.v1.L7RuleServiceClient;
import io.fiberlb.api.v1.L7RuleSpec;
import io.fiberlb.api.v1.ListL7RulesRequest;
import io.fiberlb.api.v1.UpdateL7RuleRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb l7rule ...}: the conditions of an L7 policy (Octavia's l7rule); a policy matches when all do. */
@Command(name = "l7rule",
    description = "Manage L7 rules: each compares a part of the request (host, path, file type, a header, a cookie)"
        + " with a value; an L7 policy matches when all its enabled rules do. Rules have no name: use their ids.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb l7rule create --lb LB --policy api --type HOST_NAME --compare-type EQUAL_TO \\",
        "      --value api.example.com",
        "  fiberlb l7rule create --lb LB --policy api --type HEADER --rule-key X-Env --compare-type REGEX \\",
        "      --value '^prod-[0-9]+$'",
        "  fiberlb l7rule list --lb LB --policy api"})
final class L7RuleCommands extends ResourceCommands<L7RuleServiceClient> {
  L7RuleCommands() {
    super("L7 rule", L7RuleServiceClient::create, L7Rule.getDescriptor());
  }

  /** The fields of a L7RuleSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<L7RuleSpec> {
    Fields() {
      super(L7RuleSpec.getDefaultInstance());
    }
  }

  private static final String RULE = "Id of the L7 rule.";

  private L7Rule read(String lb, String id) {
    return call(GetL7RuleRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(),
        L7RuleServiceClient::getL7Rule);
  }

  @Command(name = "create", description = "Add a rule to an L7 policy.")
  int create(@Mixin Flags.LbRef lbRef,
      @Option(names = "--policy", order = 1, required = true, paramLabel = "POLICY",
          description = "Id or name of the L7 policy.") String policy,
      @Mixin Fields fields, @Mixin Flags.Idempotency idempotency, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    var request = CreateL7RuleRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setL7PolicyId(childId(Names.Kind.L7_POLICY, lb, policy)).setL7Rule(resolved(fields.spec(), lb))
        .setRequestId(idempotency.requestId).build();
    L7Rule created = call(request, L7RuleServiceClient::createL7Rule);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one L7 rule.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "RULE", description = RULE) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.L7_RULE, lb, ref)));
  }

  @Command(name = "list", description = "List the L7 rules of a load balancer, or of one policy, oldest first.")
  int list(@Mixin Flags.LbRef lbRef,
      @Option(names = "--policy", order = 1, paramLabel = "POLICY",
          description = "Only the rules of this policy (its id or name). Default: every policy's.") String policy,
      @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    String policyId = policy == null ? "" : childId(Names.Kind.L7_POLICY, lb, policy);
    return showList(paging, (size, token) -> call(ListL7RulesRequest.newBuilder().setLoadBalancerId(lb)
        .setL7PolicyId(policyId).setPageSize(size).setPageToken(token).build(), L7RuleServiceClient::listL7Rules));
  }

  @Command(name = "update",
      description = "Change an L7 rule. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "RULE", description = RULE) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.L7_RULE, lb, ref);
    var request = UpdateL7RuleRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setL7Rule(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), L7RuleServiceClient::updateL7Rule), lb, wait, () -> read(lb, id));
  }

  @Command(name = "delete", description = "Delete an L7 rule.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "RULE", description = RULE) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait, @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.L7_RULE, lb, ref);
    var request = DeleteL7RuleRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), L7RuleServiceClient::deleteL7Rule), lb, wait, () -> read(lb, id));
  }
}
