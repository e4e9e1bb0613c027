package io.fiberlb.cli;

import io.fiberlb.api.v1.GetQuotaRequest;
import io.fiberlb.api.v1.ListQuotaChangesRequest;
import io.fiberlb.api.v1.QuotaServiceClient;
import io.fiberlb.api.v1.QuotaSpec;
import io.fiberlb.api.v1.ResetQuotaRequest;
import io.fiberlb.api.v1.SetQuotaRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fiberlb quota ...}: a project's limits, as {@code openstack loadbalancer quota}. */
@Command(name = "quota",
    description = {
        "Show and change a project's quotas: how many load balancers, listeners, pools, backends, health checks,"
            + " L7 policies, L7 rules and certificates it may hold. -1 is unlimited; a limit not set for the project"
            + " is the server's default"
            + " (fiberlb.quotas, FIBERLB_QUOTA_*). Setting and resetting need the admin role (local mode acts as"
            + " admin); the project is --org/--project. Every change is journaled with who made it: quota changes."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb quota show",
        "  fiberlb quota set --project web --load-balancers 10 --backends -1",
        "  fiberlb quota set --project web --l7-policies 20 --l7-rules 100 --certificates 5",
        "  fiberlb quota reset --project web",
        "  fiberlb quota changes --project web"})
final class QuotaCommands extends ResourceCommands<QuotaServiceClient> {
  QuotaCommands() {
    super("quota change", QuotaServiceClient::create, List.of("at", "type", "actor", "set", "request_id"));
  }

  /** The limits of a SetQuota: flags from quota.proto (see SpecFlags). */
  static final class Limits extends SpecFlags<QuotaSpec> {
    Limits() {
      super(QuotaSpec.getDefaultInstance());
    }
  }

  static final String DRY_RUN = "Print the quota as it would be after the change, checked by the same rules, without"
      + " changing it (nothing is journaled).";

  @Command(name = "show", description = "Show the project's limits in force, the defaults, which limits are set"
      + " for the project (overridden) and what it holds now (in_use).")
  int show() {
    return show(call(GetQuotaRequest.getDefaultInstance(), QuotaServiceClient::getQuota));
  }

  @Command(name = "set", description = "Set the limits given (the others keep their value); prints the quota. The"
      + " admin role. A limit below what the project holds refuses new resources and removes nothing.")
  int setQuota(@Mixin Limits limits,
      @Option(names = "--request-id", order = 90, paramLabel = "ID",
          description = "Ties the change to your request in the journal. Default: one is made up.") String requestId,
      @Option(names = "--dry-run", description = DRY_RUN) boolean dryRun) {
    var request = SetQuotaRequest.newBuilder().setQuota(changes(limits.spec()))
        .setRequestId(requestId == null ? "" : requestId).setValidateOnly(dryRun).build();
    return show(call(request, QuotaServiceClient::setQuota));
  }

  @Command(name = "reset", description = "Put every limit of the project back to the server's default; prints the"
      + " quota. The admin role.")
  int reset(@Option(names = "--request-id", paramLabel = "ID",
      description = "Ties the change to your request in the journal.") String requestId,
      @Option(names = "--dry-run", description = DRY_RUN) boolean dryRun) {
    var request = ResetQuotaRequest.newBuilder().setRequestId(requestId == null ? "" : requestId)
        .setValidateOnly(dryRun).build();
    return show(call(request, QuotaServiceClient::resetQuota));
  }

  @Command(name = "changes", description = "The project's quota changes, newest first: when, who, from where and"
      + " what was set (the last 100; the journal keeps all).")
  int changes() {
    cli.output().list(call(ListQuotaChangesRequest.getDefaultInstance(), QuotaServiceClient::listQuotaChanges),
        columns());
    return 0;
  }
}
