package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.RetryInfo;
import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.api.v1.UpdateLoadBalancerRequest;
import io.fiberlb.it.TestServer.Api;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-principal write limit: a burst of writes beyond it answers RESOURCE_EXHAUSTED with a google.rpc.RetryInfo;
 * reads and other principals are not held back.
 */
class WriteRateLimitTest {
  private static final int BURST = 3;

  @Test
  void writesBeyondTheBurstAreRefusedWithRetryInfo() throws Exception {
    Path tokens = Files.createTempFile("fiberlb-tokens", ".txt");
    String busy = ApiTokens.newToken();
    String other = ApiTokens.newToken();
    Files.write(tokens, List.of(ApiTokens.line(busy, "acme", "web", Set.of(Role.MEMBER), "busy"),
        ApiTokens.line(other, "acme", "web", Set.of(Role.MEMBER), "other")));
    try (var server = new TestServer(Map.of("fiberlb.auth.tokens-file", tokens.toString(),
        "fiberlb.grpc.write-rate.per-second", 1, "fiberlb.grpc.write-rate.burst", BURST))) {
      Api api = server.as("acme", "web").withBearer(busy);
      // Updates of a load balancer that does not exist: cheap writes, answered NOT_FOUND once past the limit.
      long start = System.nanoTime();
      List<CompletableFuture<?>> calls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        calls.add(api.callAsync(api.lbs().updateLoadBalancer(), UpdateLoadBalancerRequest.newBuilder()
            .setId(UUID.randomUUID().toString()).setLoadBalancer(LoadBalancerSpec.newBuilder().setDescription("x"))
            .build()).toCompletableFuture());
      }
      List<Status> answers = new ArrayList<>();
      StatusRuntimeException exhausted = null;
      for (CompletableFuture<?> c : calls) {
        try {
          c.get(30, TimeUnit.SECONDS);
          throw new AssertionError("an update of an unknown load balancer succeeded");
        } catch (java.util.concurrent.ExecutionException e) {
          answers.add(TestServer.statusOf(e.getCause()));
          if (e.getCause() instanceof StatusRuntimeException s
              && s.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) exhausted = s;
        }
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
      long passed = answers.stream().filter(s -> s.getCode() == Status.Code.NOT_FOUND).count();
      assertThat(answers).allSatisfy(s -> assertThat(s.getCode()).isIn(Status.Code.NOT_FOUND,
          Status.Code.RESOURCE_EXHAUSTED));
      // The burst, plus at most one a second while the calls were being answered.
      assertThat(passed).isBetween((long) BURST, BURST + seconds + 1);
      assertThat(exhausted).isNotNull();
      assertThat(exhausted.getStatus().getDescription()).startsWith("too many writes by token:busy; retry in");
      var details = StatusProto.fromThrowable(exhausted);
      assertThat(details).isNotNull();
      RetryInfo retry = details.getDetails(0).unpack(RetryInfo.class);
      assertThat(retry.getRetryDelay().getSeconds() * 1_000_000_000L + retry.getRetryDelay().getNanos())
          .isBetween(1L, 1_000_000_000L);

      // Reads are not limited, nor is another principal.
      for (int i = 0; i < 2 * BURST; i++) {
        try {
          api.call(api.lbs().getLoadBalancer(), GetLoadBalancerRequest.newBuilder()
              .setId(UUID.randomUUID().toString()).build());
        } catch (RuntimeException e) {
          assertThat(TestServer.statusOf(e).getCode()).isEqualTo(Status.Code.NOT_FOUND);
        }
      }
      Api second = server.as("acme", "web").withBearer(other);
      assertThat(second.createLb("other").getId()).isNotEmpty();
    }
  }
}
