package io.fiberlb.api;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.typesafe.config.Config;
import io.fiberlb.api.v1.AuditProto;
import io.fiberlb.api.v1.ServicesProto;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.grpc.javadsl.GrpcMarshalling;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;

/**
 * Reads the request body of every call to FiberLB's own methods (all unary or server-streaming: exactly one
 * request message) in full, bounded, and checks its gRPC framing, before pekko-grpc's handler decodes it:
 * <ul>
 *   <li>more than {@code fiberlb.grpc.max-request-bytes} is RESOURCE_EXHAUSTED (past the limit up to
 *       {@link #DRAIN_FACTOR} times as much is read and dropped: cancelling the request stream at once makes the
 *       server reset it, and a client that sees the reset before the answer reports CANCELLED);
 *   <li>a body that is not exactly one gRPC frame (5-byte header: flag 0 or 1, big-endian length; then that many
 *       bytes) is INVALID_ARGUMENT naming the method's request message. pekko-grpc would answer INTERNAL and log
 *       two ERRORs with stack traces;
 *   <li>a gzip-compressed frame is inflated here, to the same limit (no gzip bomb), and handed on uncompressed;
 *       a frame that is not gzip is INVALID_ARGUMENT;
 *   <li>a body not received within the ask timeout is DEADLINE_EXCEEDED.
 * </ul>
 * Paths that are not a method of ours (server reflection, a bidirectional stream, unknown methods) and content
 * types other than {@code application/grpc[+proto]} (gRPC-Web) pass through untouched or only read.
 */
public final class RequestBodies {
  private RequestBodies() {}

  /** How much of a body over the limit is read and dropped after the refusal, at most, in multiples of the limit. */
  static final int DRAIN_FACTOR = 4;

  /** The request message of every method of ours, by HTTP path ({@code /fiberlb.v1.PoolService/CreatePool}). */
  static final Map<String, String> REQUEST_TYPES = requestTypes(List.of(ServicesProto.getDescriptor(),
      AuditProto.getDescriptor(), io.fiberlb.api.v1.HistoryProto.getDescriptor(),
      io.fiberlb.api.v1.ClusterProto.getDescriptor(), io.fiberlb.api.v1.QuotaProto.getDescriptor(),
      io.fiberlb.api.v1.CertificateProto.getDescriptor()));

  private static Map<String, String> requestTypes(List<FileDescriptor> files) {
    var out = new HashMap<String, String>();
    for (FileDescriptor f : files) {
      for (ServiceDescriptor s : f.getServices()) {
        for (MethodDescriptor m : s.getMethods()) {
          out.put("/" + s.getFullName() + "/" + m.getName(), m.getInputType().getFullName());
        }
      }
    }
    return Map.copyOf(out);
  }

  public static org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> limited(
      org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler, Config config,
      ClassicActorSystemProvider system) {
    long max = config.getBytes("fiberlb.grpc.max-request-bytes");
    long readMillis = config.getDuration("fiberlb.grpc.ask-timeout").toMillis();
    Materializer mat = SystemMaterializer.get(system).materializer();
    Function<ActorSystem, Function<Throwable, Trailers>> eh = RequestErrors.mapper();
    return req -> {
      String type = REQUEST_TYPES.get(req.getUri().path());
      if (type == null) return handler.apply(req);
      return read(req.entity(), max, readMillis, mat).thenApply(bytes -> framed(req, bytes, type, max))
          .handle((body, err) -> {
            if (err != null) return refuse(req, err, eh, system);
            try {
              return handler.apply(req.withEntity(HttpEntities.create(req.entity().getContentType(), body)));
            } catch (Exception e) {
              return CompletableFuture.<HttpResponse>failedFuture(e);
            }
          }).thenCompose(r -> r);
    };
  }

  /** The whole body, or a failure as soon as it passes {@code max}; see the class comment. */
  static CompletionStage<ByteString> read(HttpEntity entity, long max, long readMillis, Materializer mat) {
    var body = new CompletableFuture<ByteString>();
    var acc = ByteString.createBuilder();
    long[] seen = {0};
    entity.withoutSizeLimit().getDataBytes().completionTimeout(java.time.Duration.ofMillis(readMillis))
        .takeWhile(chunk -> seen[0] <= max * DRAIN_FACTOR)
        .runWith(Sink.foreach(chunk -> {
          seen[0] += chunk.size();
          if (body.isDone()) return;
          if (seen[0] > max) body.completeExceptionally(tooLarge(max, seen[0]));
          else acc.append(chunk);
        }), mat)
        .whenComplete((done, err) -> {
          if (err instanceof TimeoutException) {
            body.completeExceptionally(new GrpcServiceException(Status.DEADLINE_EXCEEDED
                .withDescription("request body: not received in full within " + readMillis + " ms")));
          } else if (err != null) {
            body.completeExceptionally(err);
          } else {
            body.complete(acc.result());
          }
        });
    return body;
  }

  private static EntityStreamSizeException tooLarge(long max, long seen) {
    return new EntityStreamSizeException(max, scala.Option.apply(seen));
  }

  /**
   * {@code body} if it is exactly one gRPC frame, with a gzip frame inflated (to at most {@code max} bytes);
   * throws an INVALID_ARGUMENT naming {@code type} otherwise. gRPC-Web bodies are left as they are.
   */
  static ByteString framed(HttpRequest req, ByteString body, String type, long max) {
    String contentType = req.entity().getContentType().mediaType().toString();
    if (!contentType.equals("application/grpc") && !contentType.equals("application/grpc+proto")) return body;
    if (body.size() < 5) throw badFrame(type, "not a gRPC message frame (" + body.size() + " bytes)");
    int flag = body.apply(0) & 0xff;
    long length = ((body.apply(1) & 0xffL) << 24) | ((body.apply(2) & 0xff) << 16) | ((body.apply(3) & 0xff) << 8)
        | (body.apply(4) & 0xff);
    if (flag > 1) throw badFrame(type, "frame flag " + flag + " (0 or 1)");
    if (length != body.size() - 5) {
      throw badFrame(type, "the frame says " + length + " bytes and " + (body.size() - 5) + " follow (one message)");
    }
    if (flag == 0) return body;
    String encoding = req.getHeader("grpc-encoding").map(HttpHeader::value).orElse("identity");
    if (encoding.equals("identity")) throw badFrame(type, "compressed, but no grpc-encoding");
    if (!encoding.equals("gzip")) return body; // pekko-grpc answers an encoding it does not know
    byte[] message = inflate(body.drop(5).toArray(), max, type);
    var out = ByteString.createBuilder();
    out.putByte((byte) 0).putInt(message.length, java.nio.ByteOrder.BIG_ENDIAN).putBytes(message);
    return out.result();
  }

  private static byte[] inflate(byte[] gzip, long max, String type) {
    try (var in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
      if (out.length > max) throw tooLarge(max, out.length);
      return out;
    } catch (IOException e) {
      throw badFrame(type, "not valid gzip");
    }
  }

  private static GrpcServiceException badFrame(String type, String why) {
    RequestErrors.warn("request body: not a valid " + type + " (" + why + ")");
    return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription("request body: not a valid " + type
        + " (" + why + ")"));
  }

  private static CompletionStage<HttpResponse> refuse(HttpRequest req, Throwable err,
      Function<ActorSystem, Function<Throwable, Trailers>> eh, ClassicActorSystemProvider system) {
    return GrpcMarshalling.<HttpResponse>negotiated(req, (reader, writer) ->
            CompletableFuture.completedFuture(GrpcExceptionHandler.standard(err, eh, writer, system)))
        .orElseGet(() -> CompletableFuture.completedFuture(
            HttpResponse.create().withStatus(StatusCodes.UNSUPPORTED_MEDIA_TYPE)));
  }
}
