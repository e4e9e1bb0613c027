package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import com.google.protobuf.Duration;
import io.fiberlb.api.v1.CreateHealthCheckRequest;
import io.fiberlb.api.v1.DeleteHealthCheckRequest;
import io.fiberlb.api.v1.GetHealthCheckRequest;
import io.fiberlb.api.v1.HealthCheck;
import io.fiberlb.api.v1.HealthCheckServiceClient;
import io.fiberlb.api.v1.HealthCheckSpec;
import io.fiberlb.api.v1.ListHealthChecksRequest;
import io.fiberlb.api.v1.UpdateHealthCheckRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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
    super("health check", HealthCheckServiceClient::create,
        List.of("id", "name", "type", "interval", "timeout", "rise", "fall", "operating_status",
            "operating_status_reason"));
  }

  /** The fields of a HealthCheckSpec. */
  static final class Fields extends Flags.Common {
    @Option(names = "--name", order = 10, paramLabel = "NAME",
        description = "Name, at most 255 characters. Default on create: empty.")
    String name;

    @Option(names = "--type", order = 11, paramLabel = "TYPE", converter = Flags.HealthCheckTypeValue.class,
        completionCandidates = Flags.HealthCheckTypeValue.class,
        description = "One of ${COMPLETION-CANDIDATES}. TCP probes by connecting, HTTP by a request that must"
            + " answer with --expected-codes, HTTPS the same over TLS, TLS_HELLO by a TLS handshake (all for TCP,"
            + " HTTP and PROXY pools). UDP_CONNECT (UDP pools only) sends one datagram:"
            + " an ICMP port unreachable fails it (refused); a reply, or silence until --timeout, passes, as in"
            + " Octavia. Required on create.")
    HealthCheck.Type type;

    @Option(names = "--domain-name", order = 21, paramLabel = "HOST",
        description = "HTTP and HTTPS only: the Host header sent, like api.example.com (needs --http-version 1.1)."
            + " Default on create: none.")
    String domainName;

    @Option(names = "--http-version", order = 22, paramLabel = "VERSION",
        description = "HTTP and HTTPS only: 1.0 or 1.1. Default on create: 1.0.")
    String httpVersion;

    @Option(names = "--interval", order = 12, paramLabel = "DURATION", converter = Flags.DurationValue.class,
        description = "Time between two probes of a backend, 100ms..1h. Default on create: 5s.")
    Duration interval;

    @Option(names = "--timeout", order = 13, paramLabel = "DURATION", converter = Flags.DurationValue.class,
        description = "A probe that takes longer fails; shorter than --interval. Default on create: 2s.")
    Duration timeout;

    @Option(names = "--rise", order = 14, paramLabel = "N",
        description = "Successes in a row that bring a backend up, 1..10. Default on create: 2.")
    Integer rise;

    @Option(names = "--fall", order = 15, paramLabel = "N",
        description = "Failures in a row that take a backend down, 1..10. Default on create: 3.")
    Integer fall;

    @Option(names = "--http-method", order = 16, paramLabel = "METHOD",
        description = "HTTP only: the request method, like GET or HEAD. Default on create: GET.")
    String httpMethod;

    @Option(names = "--url-path", order = 17, paramLabel = "PATH",
        description = "HTTP only: the path to request, starting with /. Default on create: /.")
    String urlPath;

    @Option(names = "--expected-codes", order = 18, paramLabel = "LIST",
        description = "HTTP only: the status codes that count as success, like 200, 200,204 or 200-299."
            + " Default on create: 200.")
    String expectedCodes;

    HealthCheckSpec spec() {
      var b = HealthCheckSpec.newBuilder();
      set(name, b::setName);
      set(type, b::setType);
      set(interval, b::setInterval);
      set(timeout, b::setTimeout);
      set(rise, b::setRise);
      set(fall, b::setFall);
      set(httpMethod, b::setHttpMethod);
      set(urlPath, b::setUrlPath);
      set(expectedCodes, b::setExpectedCodes);
      set(domainName, b::setDomainName);
      set(httpVersion, b::setHttpVersion);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
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
    var request = CreateHealthCheckRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setHealthCheck(spec)
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
    var request = UpdateHealthCheckRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setId(id).setHealthCheck(spec);
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
