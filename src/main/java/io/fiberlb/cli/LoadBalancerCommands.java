package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.ClusterServiceClient;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.FailoverLoadBalancerRequest;
import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatsRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatusRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.UpdateLoadBalancerRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fiberlb lb ...}: load balancers, the status tree of one, and its traffic counters. */
@Command(name = "lb",
    description = "Manage load balancers: a virtual IP address (VIP) and the listeners, pools, backends and"
        + " health checks that serve on it.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb lb create --name web",
        "  fiberlb lb create --name web -f value -c id      # only its id",
        "  fiberlb lb list --all",
        "  fiberlb lb update web --description \"public web\" --tags prod,web",
        "  fiberlb lb get web -f json",
        "  fiberlb lb get web -f value -c vip_address",
        "  fiberlb lb status web",
        "  fiberlb lb stats web -f yaml",
        "  fiberlb lb failover web --to pekko://fiberlb@10.0.0.12:25520",
        "  fiberlb lb delete web --cascade --wait"})
final class LoadBalancerCommands extends ResourceCommands<LoadBalancerServiceClient> {
  LoadBalancerCommands() {
    super("load balancer", LoadBalancerServiceClient::create, LoadBalancer.getDescriptor());
  }

  /** The fields of a LoadBalancerSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<LoadBalancerSpec> {
    Fields() {
      super(LoadBalancerSpec.getDefaultInstance());
    }
  }

  static final String LB = "Id or name of the load balancer (a name must be unique in the project).";

  @Command(name = "create", description = "Create a load balancer and allocate its VIP; prints it with its id.")
  int create(@Mixin Fields fields, @Mixin Flags.Idempotency idempotency, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var request = CreateLoadBalancerRequest.newBuilder().setLoadBalancer(fields.spec())
        .setValidateOnly(dryRun.dryRun)
        .setRequestId(idempotency.requestId).build();
    var created = call(request, LoadBalancerServiceClient::createLoadBalancer);
    return showWritten(created, created.getId(), wait, () -> read(created.getId()));
  }

  private LoadBalancer read(String id) {
    return call(GetLoadBalancerRequest.newBuilder().setId(id).build(), LoadBalancerServiceClient::getLoadBalancer);
  }

  @Command(name = "get", description = "Show one load balancer.")
  int get(@Parameters(paramLabel = "LB", description = LB) String ref) {
    return show(read(lbId(ref)));
  }

  @Command(name = "list", description = "List the load balancers of the project, oldest first.")
  int list(@Mixin Flags.Paging paging) {
    return showList(paging, (size, token) -> call(
        ListLoadBalancersRequest.newBuilder().setPageSize(size).setPageToken(token).build(),
        LoadBalancerServiceClient::listLoadBalancers));
  }

  @Command(name = "update",
      description = "Change a load balancer. Only the fields given change; the others keep their values.")
  int update(@Parameters(paramLabel = "LB", description = LB) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String id = lbId(ref);
    var request = UpdateLoadBalancerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setId(id).setLoadBalancer(spec);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), LoadBalancerServiceClient::updateLoadBalancer), id, wait,
        () -> read(id));
  }

  @Command(name = "delete",
      description = "Delete a load balancer and release its VIP. One that still has listeners, pools, backends or"
          + " health checks is refused unless --cascade is given.")
  int delete(@Parameters(paramLabel = "LB", description = LB) String ref,
      @Option(names = "--cascade", order = 20,
          description = "Delete its listeners, pools, backends and health checks with it.") boolean cascade,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String id = lbId(ref);
    var request = DeleteLoadBalancerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setId(id).setCascade(cascade);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), LoadBalancerServiceClient::deleteLoadBalancer), null, wait,
        () -> read(id));
  }

  @Command(name = "restore",
      description = {"Bring a deleted load balancer back: its id, every child it had, and its VIP when still free.",
          "When another load balancer holds the old VIP now, it is refused unless --new-vip asks for any free one."
              + " Its name is registered again and counts against the quotas like a create. Prints the changes as"
              + " 'audit diff' prints them. docs/history.md says what a restore does and does not bring back."})
  int restore(@Parameters(paramLabel = "LB_ID", description = "Id of the deleted load balancer.") String id,
      @Option(names = "--new-vip", order = 20, description = "Take any free VIP instead of the old one.")
      boolean newVip,
      @Option(names = "--dry-run", order = 21,
          description = "Print what the restore would do and write nothing (a new VIP is not chosen then).")
      boolean dryRun) {
    var request = io.fiberlb.api.v1.RestoreLoadBalancerRequest.newBuilder().setId(id).setNewVip(newVip)
        .setValidateOnly(dryRun).build();
    var history = cli.api().client(io.fiberlb.api.v1.HistoryServiceClient::create);
    cli.output().rolledBack("restored", id, cli.api().call(history.restoreLoadBalancer(), request));
    return 0;
  }

  @Command(name = "status",
      description = {
          "Show the status tree of a load balancer: its listeners, and its pools with their health check and"
              + " backends.",
          "Each line: kind, id, \"name\", details, provisioning status/operating status, and (why) when the"
              + " operating status needs a reason: a port already taken, a health check's verdict..."})
  int status(@Parameters(paramLabel = "LB", description = LB) String ref) {
    var request = GetLoadBalancerStatusRequest.newBuilder().setId(lbId(ref)).build();
    cli.output().status(call(request, LoadBalancerServiceClient::getLoadBalancerStatus));
    return 0;
  }

  @Command(name = "stats",
      description = {
          "Show the traffic counters of a load balancer: its totals (the sums over its listeners), then each"
              + " listener and backend, and the node that counted them.",
          "Counters start at zero where the load balancer starts serving (create, node restart, move to another"
              + " node). Listeners and backends appear once the data plane runs them."})
  int stats(@Parameters(paramLabel = "LB", description = LB) String ref) {
    var request = GetLoadBalancerStatsRequest.newBuilder().setLoadBalancerId(lbId(ref)).build();
    cli.output().stats(call(request, LoadBalancerServiceClient::getLoadBalancerStats));
    return 0;
  }

  @Command(name = "failover",
      description = {
          "Move a load balancer to another data-plane node with a graceful handoff (the admin role; Octavia's"
              + " load balancer failover): its listeners drain on the old node and bind on the new one. Load"
              + " balancers are placed by shard, so the other load balancers of its shard move with it (the answer"
              + " counts them); the shard stays on the new node until that node leaves the cluster.",
          "Prints the old and the new node once the load balancer runs on the new one."})
  int failover(@Parameters(paramLabel = "LB", description = LB) String ref,
      @Option(names = "--to", paramLabel = "NODE",
          description = "The node to move it to, an address as `cluster members` shows it. Default: the other"
              + " data-plane node running the fewest load balancers.") String to) {
    var request = FailoverLoadBalancerRequest.newBuilder().setLoadBalancerId(lbId(ref));
    set(to, request::setToNode);
    return show(cli.api().call(cli.api().client(ClusterServiceClient::create).failoverLoadBalancer(),
        request.build()));
  }
}
