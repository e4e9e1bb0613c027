package io.fiberlb.bench;

import com.typesafe.config.ConfigFactory;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.DeleteLoadBalancerRequest;
import io.fiberlb.api.v1.DeleteResponse;
import io.fiberlb.api.v1.GetLoadBalancerRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatsRequest;
import io.fiberlb.api.v1.GetLoadBalancerStatusRequest;
import io.fiberlb.api.v1.ListLoadBalancersRequest;
import io.fiberlb.api.v1.ListLoadBalancersResponse;
import io.fiberlb.api.v1.LoadBalancer;
import io.fiberlb.api.v1.LoadBalancerServicePowerApi;
import io.fiberlb.api.v1.LoadBalancerServicePowerApiHandlerFactory;
import io.fiberlb.api.v1.LoadBalancerStats;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.fiberlb.api.v1.Operating;
import io.fiberlb.api.v1.Provisioning;
import io.fiberlb.api.v1.UpdateLoadBalancerRequest;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A server that answers GetLoadBalancer with a fixed message and does nothing else: the cost floor of the gRPC stack
 * that FiberLB's API sits on. Comparing the server CPU per Get of this with FiberLB's tells how much of a Get is the
 * transport and how much is FiberLB (sharding, the entity, mapping).
 *
 * <pre>
 * FloorServer pekko|pekko-ask|grpc-java --port-file FILE
 *   pekko      pekko-http HTTP/2 + the pekko-grpc generated handler, the implementation answers at once
 *   pekko-ask  the same, but the implementation asks a (plain, unsharded) actor and maps the reply on the dispatcher,
 *              as FiberLB's gateway does
 *   grpc-java  grpc-java's Netty server with a hand-made handler (no pekko at all)
 * </pre>
 * Runs until the process is stopped.
 */
public final class FloorServer {
  private FloorServer() {}

  static final LoadBalancer CANNED = LoadBalancer.newBuilder().setId("3f2c1a9e-5b7d-4c1e-9a2b-7d6e5f4c3b2a")
      .setName("floor").setDescription("a fixed answer").setVipAddress("127.16.0.1").setAdminStateUp(true)
      .setProvisioningStatus(Provisioning.Status.ACTIVE).setOperatingStatus(Operating.Status.ONLINE).setVersion(7)
      .setOrgId("bench").setProjectId("bench-p0").build();

  record Ask(String id, ActorRef<LoadBalancer> replyTo) {}

  public static void main(String[] argv) throws Exception {
    var a = new BenchSupport.Args(argv);
    String mode = a.words.isEmpty() ? "pekko" : a.words.get(0);
    Path portFile = Path.of(a.required("port-file"));
    var done = new CountDownLatch(1);
    int port;
    if (mode.equals("grpc-java")) {
      var def = ServerServiceDefinition.builder("fiberlb.v1.LoadBalancerService")
          .addMethod(RawGrpc.method("LoadBalancerService", "GetLoadBalancer",
                  GetLoadBalancerRequest.getDefaultInstance(), LoadBalancer.getDefaultInstance()),
              RawGrpc.<GetLoadBalancerRequest, LoadBalancer>answering(r -> CANNED))
          .build();
      Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
          .addService(def).build().start();
      port = server.getPort();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.shutdown();
        done.countDown();
      }));
    } else {
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "floor", ConfigFactory.parseString(
              "pekko.actor.provider = local\npekko.http.server.enable-http2 = on\npekko.loglevel = WARNING")
          .withFallback(ConfigFactory.defaultReference()));
      port = startPekko(system, mode.equals("pekko-ask")).localAddress().getPort();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().join();
        done.countDown();
      }));
    }
    Files.writeString(portFile, port + "\n");
    System.out.println("floor server (" + mode + ") on 127.0.0.1:" + port);
    done.await();
  }

  /** The pekko-grpc floor in an actor system that has {@code pekko.http.server.enable-http2 = on}. */
  static ServerBinding startPekko(ActorSystem<?> system, boolean ask) {
    ActorRef<Ask> responder = null;
    if (ask) {
      Behavior<Ask> b = Behaviors.receiveMessage(m -> {
        m.replyTo().tell(CANNED);
        return Behaviors.same();
      });
      responder = system.systemActorOf(b, "floor-responder", org.apache.pekko.actor.typed.Props.empty());
    }
    var impl = new Impl(system, responder);
    return Http.get(system).newServerAt("127.0.0.1", 0)
        .bind(LoadBalancerServicePowerApiHandlerFactory.create(impl, system)).toCompletableFuture().join();
  }

  private static final class Impl implements LoadBalancerServicePowerApi {
    private final ActorSystem<?> system;
    private final ActorRef<Ask> responder;
    private final Executor executor;

    Impl(ActorSystem<?> system, ActorRef<Ask> responder) {
      this.system = system;
      this.responder = responder;
      this.executor = system.executionContext();
    }

    private static <T> CompletionStage<T> unimplemented() {
      return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNIMPLEMENTED));
    }

    @Override
    public CompletionStage<LoadBalancer> getLoadBalancer(GetLoadBalancerRequest in, Metadata md) {
      if (responder == null) return CompletableFuture.completedFuture(CANNED);
      return AskPattern.<Ask, LoadBalancer>ask(responder, r -> new Ask(in.getId(), r), Duration.ofSeconds(10),
              system.scheduler())
          .handleAsync((lb, err) -> {
            if (err != null) throw new GrpcServiceException(Status.UNAVAILABLE);
            return lb.toBuilder().setId(in.getId()).build();
          }, executor);
    }

    @Override
    public CompletionStage<LoadBalancer> createLoadBalancer(CreateLoadBalancerRequest in, Metadata md) {
      return unimplemented();
    }

    @Override
    public CompletionStage<ListLoadBalancersResponse> listLoadBalancers(ListLoadBalancersRequest in, Metadata md) {
      return unimplemented();
    }

    @Override
    public CompletionStage<LoadBalancer> updateLoadBalancer(UpdateLoadBalancerRequest in, Metadata md) {
      return unimplemented();
    }

    @Override
    public CompletionStage<DeleteResponse> deleteLoadBalancer(DeleteLoadBalancerRequest in, Metadata md) {
      return unimplemented();
    }

    @Override
    public CompletionStage<LoadBalancerStatus> getLoadBalancerStatus(GetLoadBalancerStatusRequest in, Metadata md) {
      return unimplemented();
    }

    @Override
    public CompletionStage<LoadBalancerStats> getLoadBalancerStats(GetLoadBalancerStatsRequest in, Metadata md) {
      return unimplemented();
    }
  }
}
