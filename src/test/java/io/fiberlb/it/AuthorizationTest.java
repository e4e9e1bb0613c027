package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import io.fiberlb.api.v1.AuditService;
import io.fiberlb.api.v1.BackendService;
import io.fiberlb.api.v1.ExportChunk;
import io.fiberlb.api.v1.ExportEventsRequest;
import io.fiberlb.api.v1.HealthCheckService;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.ListenerService;
import io.fiberlb.api.v1.LoadBalancerService;
import io.fiberlb.api.v1.PoolService;
import io.fiberlb.it.RpcTable.Fixture;
import io.fiberlb.it.RpcTable.Kind;
import io.fiberlb.it.RpcTable.Rpc;
import io.fiberlb.it.TestServer.Api;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.grpc.ServiceDescription;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Verified identities from an API tokens file against a real server: every RPC x every role (the table in
 * {@link RpcTable}), tenants kept apart, the audit actor, and tokens added and revoked without a restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthorizationTest {
  private TestServer server;
  private Path tokensFile;
  private final Map<String, String> tokens = new LinkedHashMap<>();

  /** The columns of the matrix: who calls. Global principals live in project ops/ops and name acme/web. */
  enum Who { NO_CREDENTIALS, UNKNOWN_TOKEN, OBSERVER, MEMBER, GLOBAL_OBSERVER, ADMIN }

  /** What each kind of RPC answers each caller, acting on project acme/web. */
  private static Status.Code expected(Kind kind, Who who) {
    return switch (who) {
      case NO_CREDENTIALS, UNKNOWN_TOKEN -> Status.Code.UNAUTHENTICATED;
      case OBSERVER, GLOBAL_OBSERVER -> kind == Kind.READ ? Status.Code.OK : Status.Code.PERMISSION_DENIED;
      case MEMBER -> kind == Kind.ADMIN ? Status.Code.PERMISSION_DENIED : Status.Code.OK;
      case ADMIN -> Status.Code.OK;
    };
  }

  @BeforeAll
  void start() throws Exception {
    tokensFile = Files.createTempFile("fiberlb-tokens", ".txt");
    List<String> lines = new ArrayList<>();
    lines.add(token("observer", "acme", "web", Role.OBSERVER));
    lines.add(token("member", "acme", "web", Role.MEMBER));
    lines.add(token("global_observer", "ops", "ops", Role.GLOBAL_OBSERVER));
    lines.add(token("admin", "ops", "ops", Role.ADMIN));
    lines.add(token("member-a", "acme", "a", Role.MEMBER));
    lines.add(token("member-b", "acme", "b", Role.MEMBER));
    Files.write(tokensFile, lines);
    server = new TestServer(Map.of("fiberlb.auth.tokens-file", tokensFile.toString(),
        "fiberlb.auth.reload-interval", "100ms"));
  }

  private String token(String name, String org, String project, Role role) {
    String t = ApiTokens.newToken();
    tokens.put(name, t);
    return ApiTokens.line(t, org, project, Set.of(role), name);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Api caller(Who who) {
    Api api = server.as("acme", "web");
    return switch (who) {
      case NO_CREDENTIALS -> api;
      case UNKNOWN_TOKEN -> api.withBearer(ApiTokens.newToken());
      default -> api.withBearer(tokens.get(who.name().toLowerCase()));
    };
  }

  private static Status.Code codeOf(RpcTable.Call call, Api api, Fixture f) {
    try {
      call.run(api, f).toCompletableFuture().get(30, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (java.util.concurrent.ExecutionException e) {
      return TestServer.statusOf(e.getCause()).getCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void theTableHasEveryRpcOfEveryService() {
    Set<String> served = new TreeSet<>();
    for (ServiceDescription d : List.of(LoadBalancerService.description, ListenerService.description,
        PoolService.description, BackendService.description, HealthCheckService.description,
        io.fiberlb.api.v1.L7PolicyService.description, io.fiberlb.api.v1.L7RuleService.description,
        AuditService.description, io.fiberlb.api.v1.HistoryService.description,
        io.fiberlb.api.v1.ClusterService.description, io.fiberlb.api.v1.QuotaService.description,
        io.fiberlb.api.v1.CertificateService.description)) {
      var service = d.descriptor().findServiceByName(d.name().substring(d.name().lastIndexOf('.') + 1));
      service.getMethods().forEach(m -> served.add(service.getName() + "/" + m.getName()));
    }
    assertThat(new TreeSet<>(RpcTable.ALL.stream().map(Rpc::name).toList())).isEqualTo(served);
  }

  @Test
  void everyRpcByEveryRoleAnswersTheExpectedCode() {
    Fixture f = new Fixture(caller(Who.MEMBER));
    List<String> wrong = new ArrayList<>();
    int cells = 0;
    for (Rpc rpc : RpcTable.ALL) {
      for (Who who : Who.values()) {
        Status.Code want = expected(rpc.kind(), who);
        Status.Code got = codeOf(rpc.call(), caller(who), f);
        cells++;
        if (got != want) wrong.add(rpc.name() + " as " + who + ": expected " + want + ", got " + got);
      }
    }
    assertThat(cells).isEqualTo(RpcTable.ALL.size() * Who.values().length);
    assertThat(wrong).isEmpty();
  }

  @Test
  void aMemberOfAnotherProjectFindsNothingOfProjectB() {
    Api memberB = server.as("acme", "b").withBearer(tokens.get("member-b"));
    Fixture b = new Fixture(memberB);
    Api memberA = server.as("acme", "a").withBearer(tokens.get("member-a"));
    // Naming project b in the headers changes nothing: a member acts in its own project.
    Api memberAClaimingB = server.as("acme", "b").withBearer(tokens.get("member-a"));
    List<String> wrong = new ArrayList<>();
    for (Api a : List.of(memberA, memberAClaimingB)) {
      for (Rpc rpc : RpcTable.ALL) {
        if (rpc.projectWide()) continue;
        Status.Code got = codeOf(rpc.call(), a, b);
        if (got != Status.Code.NOT_FOUND) wrong.add(rpc.name() + " as " + a.project + ": got " + got);
      }
    }
    assertThat(wrong).isEmpty();
    // The project-wide reads list only project a's own.
    String own = memberA.createLb(RpcTable.Fixture.name("own")).getId();
    for (Api a : List.of(memberA, memberAClaimingB)) {
      assertThat(a.call(a.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance())
          .getLoadBalancersList()).noneMatch(lb -> lb.getId().equals(b.lb));
      String export = Poll.until("project a's export", Duration.ofSeconds(10), () -> exportOf(a), e -> e.contains(own));
      assertThat(export).doesNotContain(b.lb);
    }
  }

  private static String exportOf(Api a) {
    List<ExportChunk> chunks = TestServer.await(a.stream(a.audit().exportEvents(),
        ExportEventsRequest.getDefaultInstance()).runWith(Sink.seq(), a.system()));
    StringBuilder out = new StringBuilder();
    chunks.forEach(c -> out.append(c.getJsonLines().toStringUtf8()));
    return out.toString();
  }

  @Test
  void theAuditActorIsTheVerifiedPrincipal() {
    Api member = caller(Who.MEMBER).as("someone-else");
    String lb = member.createLb("audited").getId();
    var events = member.call(member.audit().listEvents(), ListEventsRequest.newBuilder().setLoadBalancerId(lb).build());
    // The caller's own event names the token's principal; what the system does in reply is the system's. The
    // x-fiberlb-user header a client sends means nothing in verified mode.
    assertThat(events.getEventsList()).filteredOn(e -> e.getType().equals("LoadBalancerCreationStarted"))
        .singleElement().satisfies(e -> assertThat(e.getActor()).isEqualTo("token:member"));
    assertThat(events.getEventsList()).allSatisfy(e -> assertThat(e.getActor()).isIn("token:member", "system"));
  }

  @Test
  void aTokenAddedOrRevokedInTheFileCountsWithoutARestart() throws Exception {
    String fresh = ApiTokens.newToken();
    Api api = server.as("acme", "web").withBearer(fresh);
    Status.Code before = codeOf((a, f) -> a.callAsync(a.lbs().listLoadBalancers(),
        ListLoadBalancersRequest.getDefaultInstance()), api, null);
    assertThat(before).isEqualTo(Status.Code.UNAUTHENTICATED);

    List<String> original = Files.readAllLines(tokensFile);
    List<String> added = new ArrayList<>(original);
    added.add(ApiTokens.line(fresh, "acme", "web", Set.of(Role.OBSERVER), "fresh"));
    Files.write(tokensFile, added);
    Poll.until("the added token accepted", Duration.ofSeconds(10), () -> codeOf((a, f) -> a.callAsync(
        a.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance()), api, null),
        c -> c == Status.Code.OK);

    Files.write(tokensFile, original);
    Poll.until("the revoked token refused", Duration.ofSeconds(10), () -> codeOf((a, f) -> a.callAsync(
        a.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance()), api, null),
        c -> c == Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aRefusalSaysNothingBeyondInvalidCredentials() {
    Api api = caller(Who.UNKNOWN_TOKEN);
    try {
      api.call(api.lbs().listLoadBalancers(), ListLoadBalancersRequest.getDefaultInstance());
      throw new AssertionError("an unknown token was accepted");
    } catch (RuntimeException e) {
      Status s = TestServer.statusOf(e);
      assertThat(s.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(s.getDescription()).isEqualTo("invalid credentials");
    }
  }
}
