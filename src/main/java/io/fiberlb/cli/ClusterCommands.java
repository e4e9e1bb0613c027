package io.fiberlb.cli;

import io.fiberlb.api.v1.ClusterServiceClient;
import io.fiberlb.api.v1.ListMembersRequest;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code fiberlb cluster ...}: the cluster of FiberLB nodes, as the node called sees it (the admin role). */
@Command(name = "cluster",
    description = "See the cluster of FiberLB nodes (the admin role; local mode acts as admin).",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb cluster members",
        "  fiberlb cluster members --json"})
final class ClusterCommands extends ResourceCommands<ClusterServiceClient> {
  ClusterCommands() {
    super("cluster member", ClusterServiceClient::create,
        List.of("address", "roles", "status", "reachable", "load_balancers", "leader"));
  }

  @Command(name = "members",
      description = {
          "List the cluster's members: address, roles (dataplane: owns load balancers and serves their VIPs;"
              + " controlplane: serves the API), status (Up, Joining, Leaving...), whether the node called reaches it,"
              + " how many load balancers run on it (-1: it did not answer in time) and which is the leader."})
  int members() {
    cli.output().list(call(ListMembersRequest.getDefaultInstance(), ClusterServiceClient::listMembers),
        List.of("address", "roles", "status", "reachable", "load_balancers", "leader"));
    return 0;
  }
}
