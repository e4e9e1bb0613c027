package io.fiberlb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import grpc.reflection.v1alpha.reflection.ServerReflectionClient;
import grpc.reflection.v1alpha.reflection.ServerReflectionClient$;
import grpc.reflection.v1alpha.reflection.ServerReflectionRequest;
import grpc.reflection.v1alpha.reflection.ServerReflectionRequest$;
import grpc.reflection.v1alpha.reflection.ServerReflectionResponse;
import io.fiberlb.api.v1.CliProto;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Sink;
import org.apache.pekko.stream.scaladsl.Source;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Standard gRPC tools (grpcurl, Postman, evans) find the API by server reflection: the server lists every
 * service and serves their descriptors. pekko-grpc implements grpc.reflection.v1alpha; its client is Scala code.
 */
class ReflectionTest {
  @Test
  void listsEveryServiceAndServesItsDescriptor() throws Exception {
    try (var server = new TestServer(Map.of())) {
      ActorSystem<Void> system = TestServer.newClientSystem();
      try {
        ServerReflectionClient client = ServerReflectionClient$.MODULE$.apply(
            GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), system).withTls(false), system);
        ServerReflectionResponse listed = ask(client, system,
            ServerReflectionRequest$.MODULE$.defaultInstance().withListServices(""));
        List<String> services = CollectionConverters.asJava(listed.getListServicesResponse().service()).stream()
            .map(s -> s.name()).toList();
        assertThat(services).contains("fiberlb.v1.LoadBalancerService", "fiberlb.v1.ListenerService",
            "fiberlb.v1.PoolService", "fiberlb.v1.BackendService", "fiberlb.v1.HealthCheckService",
            "fiberlb.v1.L7PolicyService", "fiberlb.v1.L7RuleService");

        ServerReflectionResponse file = ask(client, system,
            ServerReflectionRequest$.MODULE$.defaultInstance()
                .withFileContainingSymbol("fiberlb.v1.LoadBalancerService"));
        var protos = CollectionConverters.asJava(file.getFileDescriptorResponse().fileDescriptorProto());
        var names = protos.stream().map(b -> {
          try {
            return FileDescriptorProto.parseFrom(b.toByteArray());
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }).filter(fd -> fd.getName().equals("fiberlb/v1/services.proto")).toList();
        assertThat(names).singleElement().satisfies(fd -> assertThat(fd.getServiceList())
            .anySatisfy(s -> {
              assertThat(s.getName()).isEqualTo("LoadBalancerService");
              assertThat(s.getMethodList()).anySatisfy(m -> {
                assertThat(m.getName()).isEqualTo("GetLoadBalancerStats");
                assertThat(m.getOutputType()).isEqualTo(".fiberlb.v1.LoadBalancerStats");
              });
            }));

        // The CLI's flags are described in the proto (fiberlb/v1/cli.proto): a tool reading the API by reflection
        // gets each Spec field's help too.
        ServerReflectionResponse spec = ask(client, system,
            ServerReflectionRequest$.MODULE$.defaultInstance().withFileContainingSymbol("fiberlb.v1.ListenerSpec"));
        var registry = ExtensionRegistry.newInstance();
        CliProto.registerAllExtensions(registry);
        var files = CollectionConverters.asJava(spec.getFileDescriptorResponse().fileDescriptorProto()).stream()
            .map(b -> {
              try {
                return FileDescriptorProto.parseFrom(b.toByteArray(), registry);
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            }).toList();
        FileDescriptorProto resources = files.stream()
            .filter(fd -> fd.getName().equals("fiberlb/v1/resources.proto")).findFirst().orElseThrow();
        assertThat(resources.getDependencyList()).contains("fiberlb/v1/cli.proto");
        var port = resources.getMessageTypeList().stream().filter(m -> m.getName().equals("ListenerSpec"))
            .flatMap(m -> m.getFieldList().stream()).filter(f -> f.getName().equals("protocol_port")).findFirst()
            .orElseThrow();
        assertThat(port.getOptions().getExtension(CliProto.flag).getHelp())
            .isEqualTo("Port on the VIP to accept connections on, 1..65535. Required on create.");
      } finally {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().join();
      }
    }
  }

  private static ServerReflectionResponse ask(ServerReflectionClient client, ActorSystem<Void> system,
      ServerReflectionRequest request) throws Exception {
    var responses = client.serverReflectionInfo(Source.single(request));
    return FutureConverters.asJava(responses.runWith(Sink.head(), Materializer.matFromSystem(system)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
