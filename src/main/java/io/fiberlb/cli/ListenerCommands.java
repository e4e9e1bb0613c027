package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.ListListenersRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerServiceClient;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.UpdateListenerRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code fiberlb listener ...}: the ports a load balancer accepts connections on. */
@Command(name = "listener",
    description = "Manage listeners: a port on the load balancer's VIP whose connections go to a pool.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb listener create --lb web --name http --protocol TCP \\",
        "      --protocol-port 8080 --default-pool-id web --wait",
        "  fiberlb listener create --lb LB --name dns --protocol UDP \\",
        "      --protocol-port 53 --default-pool-id UDP_POOL --timeout-client-idle 30s",
        "  fiberlb listener update --lb LB LISTENER --timeout-client-idle 5m \\",
        "      --allowed-cidrs 10.0.0.0/8,192.168.0.0/16",
        "  fiberlb listener list --lb LB"})
final class ListenerCommands extends ResourceCommands<ListenerServiceClient> {
  ListenerCommands() {
    super("listener", ListenerServiceClient::create, Listener.getDescriptor());
  }

  /** The fields of a ListenerSpec: flags from resources.proto (see SpecFlags). */
  static final class Fields extends SpecFlags<ListenerSpec> {
    Fields() {
      super(ListenerSpec.getDefaultInstance());
    }
  }

  private static final String LISTENER = "Id or name of the listener (a name must be unique in its load balancer).";

  private Listener read(String lb, String id) {
    return call(GetListenerRequest.newBuilder().setLoadBalancerId(lb).setId(id).build(),
        ListenerServiceClient::getListener);
  }

  @Command(name = "create", description = "Create a listener on a load balancer.")
  int create(@Mixin Flags.LbRef lbRef, @Mixin Fields fields, @Mixin Flags.Idempotency idempotency,
      @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = fields.spec();
    String lb = lbId(lbRef.id);
    var request = CreateListenerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb)
        .setListener(resolved(spec, lb))
        .setRequestId(idempotency.requestId).build();
    Listener created = call(request, ListenerServiceClient::createListener);
    return showWritten(created, lb, wait, () -> read(lb, created.getId()));
  }

  @Command(name = "get", description = "Show one listener.")
  int get(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "LISTENER", description = LISTENER) String ref) {
    String lb = lbId(lbRef.id);
    return show(read(lb, childId(Names.Kind.LISTENER, lb, ref)));
  }

  @Command(name = "list", description = "List the listeners of a load balancer, oldest first.")
  int list(@Mixin Flags.LbRef lbRef, @Mixin Flags.Paging paging) {
    String lb = lbId(lbRef.id);
    return showList(paging, (size, token) -> call(
        ListListenersRequest.newBuilder().setLoadBalancerId(lb).setPageSize(size).setPageToken(token).build(),
        ListenerServiceClient::listListeners));
  }

  @Command(name = "update",
      description = "Change a listener. Only the fields given change; the others keep their values.")
  int update(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "LISTENER", description = LISTENER) String ref,
      @Mixin Fields fields, @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    var spec = changes(fields.spec());
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.LISTENER, lb, ref);
    var request = UpdateListenerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id)
        .setListener(resolved(spec, lb));
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showWritten(call(request.build(), ListenerServiceClient::updateListener), lb, wait, () -> read(lb, id));
  }

  @Command(name = "delete", description = "Delete a listener; its port stops accepting connections.")
  int delete(@Mixin Flags.LbRef lbRef, @Parameters(paramLabel = "LISTENER", description = LISTENER) String ref,
      @Mixin Flags.Precondition precondition, @Mixin Waiting.Options wait,
      @Mixin DryRunFlag dryRun) {
    String lb = lbId(lbRef.id);
    String id = childId(Names.Kind.LISTENER, lb, ref);
    var request = DeleteListenerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id);
    set(precondition.expectedVersion, request::setExpectedVersion);
    return showDeleted(id, call(request.build(), ListenerServiceClient::deleteListener), lb, wait,
        () -> read(lb, id));
  }
}
