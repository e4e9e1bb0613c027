package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import grpc.reflection.v1alpha.reflection.ServerReflectionRequest$;
import grpc.reflection.v1alpha.reflection.ServerReflectionResponse;
import grpc.reflection.v1alpha.reflection.ServerReflectionResponse$;
import io.fiberlb.api.security.ApiTokens;
import io.fiberlb.api.security.Role;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthClient;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The standard gRPC services of a server that verifies callers: grpc.health.v1 answers without credentials
 * (Kubernetes probes carry none), server reflection answers under both grpc.reflection.v1 and v1alpha, to a
 * verified caller only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandardServicesTest {
  private TestServer server;
  private String token;
  private ActorSystem<Void> clients;
  private HealthClient health;
  private ManagedChannel raw;

  @BeforeAll
  void start() throws Exception {
    Path tokens = Files.createTempFile("fiberlb-tokens", ".txt");
    token = ApiTokens.newToken();
    Files.writeString(tokens, ApiTokens.line(token, "acme", "web", Set.of(Role.OBSERVER), "probe") + "\n");
    server = new TestServer(Map.of("fiberlb.auth.tokens-file", tokens.toString()));
    clients = TestServer.newClientSystem();
    health = HealthClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clients)
        .withTls(false), clients);
    raw = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterAll
  void stop() throws Exception {
    raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    clients.terminate();
    clients.getWhenTerminated().toCompletableFuture().join();
    server.close();
  }

  private Object check(String service) {
    try {
      return health.check(HealthCheckRequest.newBuilder().setService(service).build()).toCompletableFuture()
          .get(10, TimeUnit.SECONDS).getStatus();
    } catch (Exception e) {
      return TestServer.statusOf(e).getCode();
    }
  }

  @Test
  void healthAnswersWithoutCredentialsServingOnceTheNodeIsReady() {
    Poll.until("SERVING", Duration.ofSeconds(20), () -> check(""), s -> s == ServingStatus.SERVING);
    assertThat(check("fiberlb.v1.LoadBalancerService")).isEqualTo(ServingStatus.SERVING);
    assertThat(check("grpc.health.v1.Health")).isEqualTo(ServingStatus.SERVING);
    assertThat(check("no.such.Service")).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void watchSendsTheStatusAtOnceAndStaysOpen() throws Exception {
    Poll.until("SERVING", Duration.ofSeconds(20), () -> check(""), s -> s == ServingStatus.SERVING);
    HealthCheckResponse first = health.watch(HealthCheckRequest.getDefaultInstance()).runWith(Sink.head(), clients)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(first.getStatus()).isEqualTo(ServingStatus.SERVING);
    // An unknown service: SERVICE_UNKNOWN, and the call is not ended (the first two seconds bring nothing more).
    List<HealthCheckResponse> unknown = health.watch(HealthCheckRequest.newBuilder().setService("no.such").build())
        .takeWithin(Duration.ofSeconds(2)).runWith(Sink.seq(), clients).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(unknown).extracting(HealthCheckResponse::getStatus).containsExactly(ServingStatus.SERVICE_UNKNOWN);
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  };

  /**
   * One list-services request to {@code grpc.reflection.<version>.ServerReflection}, with a plain grpc-java call
   * (the messages of v1 and v1alpha are the same bytes, so v1alpha's classes read both).
   */
  private List<String> listServices(String version, String bearer) throws Exception {
    var method = MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName("grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo")
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    Metadata headers = new Metadata();
    if (bearer != null) headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bearer);
    ClientCall<byte[], byte[]> call = raw.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        answer.complete(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        answer.completeExceptionally(status.asRuntimeException());
      }
    }, headers);
    call.request(1);
    call.sendMessage(ServerReflectionRequest$.MODULE$.defaultInstance().withListServices("").toByteArray());
    try {
      var response = (ServerReflectionResponse) ServerReflectionResponse$.MODULE$.parseFrom(
          answer.get(10, TimeUnit.SECONDS));
      return CollectionConverters.asJava(response.getListServicesResponse().service()).stream().map(sv -> sv.name())
          .toList();
    } finally {
      call.halfClose();
    }
  }

  @Test
  void reflectionV1AndV1alphaListTheServicesToAVerifiedCaller() throws Exception {
    for (String version : List.of("v1", "v1alpha")) {
      assertThat(listServices(version, token)).as(version).contains("fiberlb.v1.LoadBalancerService",
          "fiberlb.v1.ListenerService", "fiberlb.v1.PoolService", "fiberlb.v1.BackendService",
          "fiberlb.v1.HealthCheckService", "fiberlb.v1.AuditService", "fiberlb.v1.HistoryService", "grpc.health.v1.Health");
      try {
        listServices(version, null);
        throw new AssertionError(version + " answered without credentials");
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      }
    }
  }
}
