package io.fiberlb.cli;

import com.google.protobuf.Message;
import io.fiberlb.api.v1.BackendServiceClient;
import io.fiberlb.api.v1.HealthCheckServiceClient;
import io.fiberlb.api.v1.ListBackendsRequest;
import io.fiberlb.api.v1.ListHealthChecksRequest;
import io.fiberlb.api.v1.ListListenersRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.ListPoolsRequest;
import io.fiberlb.api.v1.ListenerServiceClient;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.PoolServiceClient;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Names where ids go: {@code lb get web}, {@code --pool web}. An id (a UUID) is used as it is; anything else is a
 * name, looked up on the client with the List calls: load balancers in the project, children in their load
 * balancer; the exact name, else the same name in another case. No match, or several, fails as a refused call
 * (exit 1) that says so, listing the candidates.
 */
final class Names {
  private static final Pattern UUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final int PAGE = 1000;

  /** What can be named: how messages name it, and how its list is fetched. */
  enum Kind {
    LOAD_BALANCER("load balancer"),
    LISTENER("listener"),
    POOL("pool"),
    BACKEND("backend"),
    HEALTH_CHECK("health check"),
    L7_POLICY("L7 policy"),
    /** Rules have no name (as in Octavia): only ids. */
    L7_RULE("L7 rule");

    final String noun;

    Kind(String noun) {
      this.noun = noun;
    }
  }

  private final Api api;
  private final String project;
  private final Map<String, String> resolved = new HashMap<>();

  Names(Api api, String project) {
    this.api = api;
    this.project = project;
  }

  static boolean isId(String ref) {
    return UUID.matcher(ref.trim()).matches();
  }

  /** The id of the load balancer {@code ref} names (an id, or a name in the project). */
  String loadBalancer(String ref) {
    return resolve(Kind.LOAD_BALANCER, null, ref);
  }

  /**
   * The id of the child of load balancer {@code lbId} that {@code ref} names. Null and empty stay as they are
   * ({@code --default-pool-id ''} clears a reference).
   */
  String child(Kind kind, String lbId, String ref) {
    if (ref == null || ref.isEmpty()) return ref;
    return resolve(kind, lbId, ref);
  }

  private String resolve(Kind kind, String lbId, String ref) {
    if (isId(ref)) return ref.trim();
    String key = kind + "/" + lbId + "/" + ref;
    String known = resolved.get(key);
    if (known != null) return known;
    // The server keeps names unique; a name that matches none exactly may still match some in another case.
    List<Message> all = all(kind, lbId);
    List<Message> matches = all.stream().filter(m -> ref.equals(field(m, "name"))).toList();
    if (matches.isEmpty()) matches = all.stream().filter(m -> ref.equalsIgnoreCase(field(m, "name"))).toList();
    String where = lbId == null ? "project " + project : "load balancer " + lbId;
    if (matches.isEmpty()) {
      throw refused(Status.NOT_FOUND, "no " + kind.noun + " named '" + ref + "' in " + where
          + " (give its id, or a name that 'fiberlb " + command(kind) + " list' shows)");
    }
    if (matches.size() > 1) {
      throw refused(Status.FAILED_PRECONDITION, matches.size() + " " + kind.noun + "s in " + where + " are named '"
          + ref + "' (in some case); give the id of one:\n"
          + matches.stream().map(m -> "  " + field(m, "id") + "  " + field(m, "name"))
              .collect(Collectors.joining("\n")));
    }
    String id = field(matches.get(0), "id");
    resolved.put(key, id);
    return id;
  }

  private Api.CallFailed refused(Status status, String message) {
    return new Api.CallFailed(status.withDescription(message), api.server());
  }

  static String command(Kind kind) {
    return switch (kind) {
      case LOAD_BALANCER -> "lb";
      case HEALTH_CHECK -> "healthcheck";
      case L7_POLICY -> "l7policy";
      case L7_RULE -> "l7rule";
      default -> kind.noun;
    };
  }

  /** Every resource of the kind: all pages of its List call. */
  private List<Message> all(Kind kind, String lbId) {
    Function<String, Message> page = switch (kind) {
      case LOAD_BALANCER -> token -> api.call(
          api.client(LoadBalancerServiceClient::create).listLoadBalancers(),
          ListLoadBalancersRequest.newBuilder().setPageSize(PAGE).setPageToken(token).build());
      case LISTENER -> token -> api.call(api.client(ListenerServiceClient::create).listListeners(),
          ListListenersRequest.newBuilder().setLoadBalancerId(lbId).setPageSize(PAGE).setPageToken(token).build());
      case POOL -> token -> api.call(api.client(PoolServiceClient::create).listPools(),
          ListPoolsRequest.newBuilder().setLoadBalancerId(lbId).setPageSize(PAGE).setPageToken(token).build());
      case BACKEND -> token -> api.call(api.client(BackendServiceClient::create).listBackends(),
          ListBackendsRequest.newBuilder().setLoadBalancerId(lbId).setPageSize(PAGE).setPageToken(token).build());
      case HEALTH_CHECK -> token -> api.call(api.client(HealthCheckServiceClient::create).listHealthChecks(),
          ListHealthChecksRequest.newBuilder().setLoadBalancerId(lbId).setPageSize(PAGE).setPageToken(token)
              .build());
      case L7_POLICY -> token -> api.call(api.client(io.fiberlb.api.v1.L7PolicyServiceClient::create)
          .listL7Policies(), io.fiberlb.api.v1.ListL7PoliciesRequest.newBuilder().setLoadBalancerId(lbId)
              .setPageSize(PAGE).setPageToken(token).build());
      case L7_RULE -> throw refused(Status.INVALID_ARGUMENT, "an L7 rule has no name: give its id");
    };
    Message reply = Output.Pages.all(page.apply(""), page);
    @SuppressWarnings("unchecked")
    List<Message> items = (List<Message>) reply.getField(Output.Pages.items(reply.getDescriptorForType()));
    return items;
  }

  private static String field(Message m, String name) {
    return (String) m.getField(m.getDescriptorForType().findFieldByName(name));
  }
}
