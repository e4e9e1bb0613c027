package io.fiberlb.bench;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Unary gRPC calls with grpc-java alone (no stub library, no pekko): the method descriptors are built from the
 * protobuf default instances. Used as a lighter load-generator client than pekko-grpc's, and by {@link FloorServer}
 * for a server that does nothing but answer.
 */
final class RawGrpc {
  private RawGrpc() {}

  static final String SERVICE_PREFIX = "fiberlb.v1.";

  @SuppressWarnings("unchecked")
  static <Req extends Message, Res extends Message> MethodDescriptor<Req, Res> method(String service, String name,
      Req reqPrototype, Res resPrototype) {
    return MethodDescriptor.<Req, Res>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_PREFIX + service, name))
        .setRequestMarshaller(ProtoUtils.marshaller((Req) reqPrototype.getDefaultInstanceForType()))
        .setResponseMarshaller(ProtoUtils.marshaller((Res) resPrototype.getDefaultInstanceForType()))
        .build();
  }

  /** A plaintext channel to 127.0.0.1:port whose callbacks run on the Netty event loop. */
  static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
        .flowControlWindow(1 << 20).build();
  }

  static void shutdown(ManagedChannel ch) {
    ch.shutdown();
    try {
      ch.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final Map<String, Metadata> HEADERS = new ConcurrentHashMap<>();
  private static final Metadata.Key<String> ORG = Metadata.Key.of("x-fiberlb-org", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PROJECT =
      Metadata.Key.of("x-fiberlb-project", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> USER = Metadata.Key.of("x-fiberlb-user", Metadata.ASCII_STRING_MARSHALLER);

  private static Metadata headers(String project) {
    Metadata proto = HEADERS.computeIfAbsent(project, p -> {
      Metadata m = new Metadata();
      m.put(ORG, "bench");
      m.put(PROJECT, p);
      m.put(USER, "bench");
      return m;
    });
    Metadata copy = new Metadata();
    copy.merge(proto);
    return copy;
  }

  /** One unary call with the tenant headers; the future completes on the event loop. */
  static <Req, Res> CompletableFuture<Res> call(ManagedChannel ch, MethodDescriptor<Req, Res> m, Req req,
      String project) {
    var result = new CompletableFuture<Res>();
    ClientCall<Req, Res> call = ch.newCall(m, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      private Res value;

      @Override
      public void onMessage(Res message) {
        value = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk() && value != null) {
          result.complete(value);
        } else if (status.isOk()) {
          result.completeExceptionally(Status.INTERNAL.withDescription("no response").asRuntimeException());
        } else {
          result.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, headers(project));
    call.request(1);
    call.sendMessage(req);
    call.halfClose();
    return result;
  }

  /** A server-side handler that answers every request of a unary method with {@code answer(request)}. */
  static <Req, Res> ServerCallHandler<Req, Res> answering(Function<Req, Res> answer) {
    return (call, headers) -> {
      call.request(1);
      return new ServerCall.Listener<>() {
        private Req request;

        @Override
        public void onMessage(Req message) {
          request = message;
        }

        @Override
        public void onHalfClose() {
          call.sendHeaders(new Metadata());
          call.sendMessage(answer.apply(request));
          call.close(Status.OK, new Metadata());
        }
      };
    };
  }
}
