package io.fiberlb.cli;

import static io.fiberlb.cli.Flags.set;

import com.google.protobuf.Duration;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.DeleteListenerRequest;
import io.fiberlb.api.v1.GetListenerRequest;
import io.fiberlb.api.v1.ListListenersRequest;
import io.fiberlb.api.v1.Listener;
import io.fiberlb.api.v1.ListenerServiceClient;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.Protocol;
import io.fiberlb.api.v1.UpdateListenerRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
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
    super("listener", ListenerServiceClient::create,
        List.of("id", "name", "protocol", "protocol_port", "default_pool_id", "provisioning_status",
            "operating_status", "operating_status_reason"));
  }

  /** The fields of a ListenerSpec. */
  static final class Fields extends Flags.Common {
    @Option(names = "--name", order = 10, paramLabel = "NAME",
        description = "Name, at most 255 characters. Default on create: empty.")
    String name;

    @Option(names = "--description", order = 11, paramLabel = "TEXT",
        description = "Free text, at most 255 characters. Default on create: empty.")
    String description;

    @Option(names = "--protocol", order = 12, paramLabel = "PROTOCOL", converter = Flags.ProtocolValue.class,
        completionCandidates = Flags.ProtocolValue.class,
        description = "One of TCP, UDP, HTTP, TERMINATED_HTTPS (UDP needs the netty engine and a"
            + " UDP default pool, and its flows end after --timeout-client-idle; HTTP and TERMINATED_HTTPS take HTTP"
            + " or PROXY pools, L7 policies and --insert-headers; TERMINATED_HTTPS needs --default-tls-container-ref)."
            + " A TCP and a UDP listener may share a port number. Cannot change after create. Default on create: TCP.")
    Protocol protocol;

    @Option(names = "--protocol-port", order = 13, paramLabel = "PORT",
        description = "Port on the VIP to accept connections on, 1..65535. Required on create.")
    Integer protocolPort;

    @Option(names = "--default-pool-id", order = 14, paramLabel = "POOL",
        description = "Pool that gets the connections: its id, or its name in the load balancer; '' clears it."
            + " Default on create: none.")
    String defaultPoolId;

    @Option(names = "--connection-limit", order = 15, paramLabel = "N",
        description = "At most N connections at once, 1..1000000, or -1 for no limit. Default on create: -1.")
    Integer connectionLimit;

    @Option(names = "--timeout-client-idle", order = 16, paramLabel = "DURATION",
        converter = Flags.DurationValue.class,
        description = "Close a connection when the client sent nothing for this long (like 50s, 5m)."
            + " Default on create: 50s.")
    Duration timeoutClientIdle;

    @Option(names = "--timeout-backend-connect", order = 17, paramLabel = "DURATION",
        converter = Flags.DurationValue.class,
        description = "Give up connecting to a backend after this long. Default on create: 5s.")
    Duration timeoutBackendConnect;

    @Option(names = "--timeout-backend-idle", order = 18, paramLabel = "DURATION",
        converter = Flags.DurationValue.class,
        description = "Close a connection when the backend sent nothing for this long. Default on create: 50s.")
    Duration timeoutBackendIdle;

    @Option(names = "--allowed-cidrs", order = 19, split = ",", paramLabel = "CIDR",
        description = "Accept clients only from these ranges (like 10.0.0.0/8), repeatable or comma separated."
            + " Replaces the whole list; --allowed-cidrs '' allows everyone again. Default on create: everyone.")
    List<String> allowedCidrs;

    @Option(names = "--insert-headers", order = 20, split = ",", paramLabel = "NAME=true|false",
        description = "HTTP and TERMINATED_HTTPS: headers added to each request, like X-Forwarded-For=true; among"
            + " X-Forwarded-For, X-Forwarded-Port, X-Forwarded-Proto, X-Request-Id, and on TERMINATED_HTTPS the"
            + " client certificate's X-SSL-Client-Verify, X-SSL-Client-Has-Cert, X-SSL-Client-DN, X-SSL-Client-CN,"
            + " X-SSL-Issuer, X-SSL-Client-SHA1, X-SSL-Client-Not-Before, X-SSL-Client-Not-After. Replaces the whole"
            + " map; --insert-headers '' adds none.")
    List<String> insertHeaders;

    @Option(names = "--default-tls-container-ref", order = 21, paramLabel = "CERT",
        description = "TERMINATED_HTTPS (required there): the id of the certificate served by default.")
    String defaultTlsContainerRef;

    @Option(names = "--sni-container-refs", order = 22, split = ",", paramLabel = "CERT",
        description = "TERMINATED_HTTPS: ids of certificates served by the names they cover (SNI), repeatable or"
            + " comma separated. Replaces the whole list.")
    List<String> sniContainerRefs;

    @Option(names = "--tls-versions", order = 23, split = ",", paramLabel = "VERSION",
        description = "TERMINATED_HTTPS: TLSv1.2 and/or TLSv1.3. Default on create: both.")
    List<String> tlsVersions;

    @Option(names = "--tls-ciphers", order = 24, paramLabel = "LIST",
        description = "TERMINATED_HTTPS: an OpenSSL cipher list (A:B:C). Default on create: the provider's.")
    String tlsCiphers;

    @Option(names = "--alpn-protocols", order = 25, split = ",", paramLabel = "PROTOCOL",
        description = "TERMINATED_HTTPS: offered in order, among h2, http/1.1, http/1.0. Default: http/1.1.")
    List<String> alpnProtocols;

    @Option(names = "--client-ca-tls-container-ref", order = 26, paramLabel = "CERT",
        description = "TERMINATED_HTTPS: the id of the CA bundle client certificates must chain to.")
    String clientCaTlsContainerRef;

    @Option(names = "--client-authentication", order = 27, paramLabel = "MODE",
        description = "TERMINATED_HTTPS: NONE, OPTIONAL or MANDATORY (those two need"
            + " --client-ca-tls-container-ref). Default on create: NONE.")
    io.fiberlb.api.v1.Listener.ClientAuthentication clientAuthentication;

    @Option(names = "--accept-proxy-protocol", order = 28, arity = "1", paramLabel = "true|false",
        description = "Each client connection starts with a PROXY protocol header (v1 or v2) whose address stands"
            + " for the client's. Not on UDP. Default on create: false.")
    Boolean acceptProxyProtocol;

    ListenerSpec spec() {
      var b = ListenerSpec.newBuilder();
      set(name, b::setName);
      set(description, b::setDescription);
      set(protocol, b::setProtocol);
      set(protocolPort, b::setProtocolPort);
      set(defaultPoolId, b::setDefaultPoolId);
      set(connectionLimit, b::setConnectionLimit);
      set(timeoutClientIdle, b::setTimeoutClientIdle);
      set(timeoutBackendConnect, b::setTimeoutBackendConnect);
      set(timeoutBackendIdle, b::setTimeoutBackendIdle);
      if (allowedCidrs != null) b.addAllAllowedCidrs(Flags.entries(allowedCidrs)).setAllowedCidrsSet(true);
      if (insertHeaders != null) {
        for (String entry : Flags.entries(insertHeaders)) {
          int eq = entry.indexOf('=');
          if (eq <= 0) throw new Flags.UsageException("--insert-headers: NAME=true|false, got '" + entry + "'");
          b.putInsertHeaders(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        b.setInsertHeadersSet(true);
      }
      set(defaultTlsContainerRef, b::setDefaultTlsContainerRef);
      if (sniContainerRefs != null) b.addAllSniContainerRefs(Flags.entries(sniContainerRefs)).setSniContainerRefsSet(true);
      if (tlsVersions != null) b.addAllTlsVersions(Flags.entries(tlsVersions)).setTlsVersionsSet(true);
      set(tlsCiphers, b::setTlsCiphers);
      if (alpnProtocols != null) b.addAllAlpnProtocols(Flags.entries(alpnProtocols)).setAlpnProtocolsSet(true);
      set(clientCaTlsContainerRef, b::setClientCaTlsContainerRef);
      set(clientAuthentication, b::setClientAuthentication);
      set(acceptProxyProtocol, b::setAcceptProxyProtocol);
      set(adminStateUp, b::setAdminStateUp);
      set(tags(), t -> b.addAllTags(t).setTagsSet(true));
      return b.build();
    }
  }

  private static final String LISTENER = "Id or name of the listener (a name must be unique in its load balancer).";

  /** The spec with its pool named by id. */
  private ListenerSpec resolved(ListenerSpec spec, String lb) {
    if (!spec.hasDefaultPoolId()) return spec;
    return spec.toBuilder().setDefaultPoolId(childId(Names.Kind.POOL, lb, spec.getDefaultPoolId())).build();
  }

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
    var request = CreateListenerRequest.newBuilder().setValidateOnly(dryRun.dryRun).setLoadBalancerId(lb).setListener(resolved(spec, lb))
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
