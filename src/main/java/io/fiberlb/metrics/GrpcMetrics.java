package io.fiberlb.metrics;

import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import io.grpc.Status;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.grpc.ServiceDescription;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.HttpEntity;
import org.apache.pekko.http.scaladsl.model.Trailer;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Counts every gRPC call and its status code around the whole gRPC handler, at the HTTP/2 level: one hook for
 * every service (reflection and the audit streams included) with no line in any service implementation, and the
 * code counted is the one the client receives, wherever it was decided (a rejection mapped in {@code Errors}, a
 * malformed id, an ask timeout, an unknown method).
 *
 * <p>gRPC puts the status in one of three places, all of which are read here: the response headers of an error
 * ("trailers-only"), the trailer attribute of a unary success, or the last chunk of a stream. A stream's status is
 * known only at its end, so its chunks are watched; a stream the client abandons counts as CANCELLED.
 */
public final class GrpcMetrics {
  static final String REFLECTION = "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  private static final String UNKNOWN = "unknown";

  private final NodeMetrics metrics;
  /** {@code package.Service/Method} of every method served; other paths count as service/method "unknown". */
  private final Set<String> known = new HashSet<>();

  /** @param services the services served (server reflection is added) */
  public GrpcMetrics(NodeMetrics metrics, List<ServiceDescription> services) {
    this.metrics = metrics;
    for (ServiceDescription d : services) {
      for (ServiceDescriptor s : d.descriptor().getServices()) {
        if (!s.getFullName().equals(d.name())) continue;
        for (MethodDescriptor m : s.getMethods()) known.add(s.getFullName() + "/" + m.getName());
      }
    }
    known.add(REFLECTION);
  }

  /** The handler, counting. */
  public Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler) {
    return req -> {
      long start = System.nanoTime();
      String path = req.getUri().path();
      String rpc = path.startsWith("/") ? path.substring(1) : path;
      int slash = rpc.indexOf('/');
      // Label values come only from the known set: a caller cannot make new time series by sending odd paths.
      String service = known.contains(rpc) ? rpc.substring(0, slash) : UNKNOWN;
      String method = known.contains(rpc) ? rpc.substring(slash + 1) : UNKNOWN;
      metrics.rpcStarted(service, method);
      CompletionStage<HttpResponse> response;
      try {
        response = handler.apply(req);
      } catch (Exception e) {
        metrics.rpcHandled(service, method, Status.Code.INTERNAL.name(), start);
        throw e;
      }
      return response.handle((res, err) -> {
        if (err != null) {
          // pekko-http answers 500, which a gRPC client reads as INTERNAL.
          metrics.rpcHandled(service, method, Status.Code.INTERNAL.name(), start);
          throw err instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(err);
        }
        return observe(res, service, method, start);
      });
    };
  }

  private HttpResponse observe(HttpResponse res, String service, String method, long start) {
    Optional<String> code = res.getHeader("grpc-status").map(HttpHeader::value)
        .or(() -> res.getAttribute(AttributeKeys.trailer).flatMap(t -> status(((Trailer) t).headers())));
    if (code.isPresent()) {
      metrics.rpcHandled(service, method, codeName(code.get()), start);
      return res;
    }
    if (res.entity() instanceof HttpEntity.Chunked chunked) {
      return res.withEntity(watched(chunked, service, method, start));
    }
    metrics.rpcHandled(service, method, fromHttp(res.status().intValue()), start);
    return res;
  }

  /** The same stream of chunks, counted once: at its last chunk (with the trailers), or when it stops without. */
  private HttpEntity.Chunked watched(HttpEntity.Chunked chunked, String service, String method, long start) {
    var counted = new AtomicBoolean();
    Source<HttpEntity.ChunkStreamPart, Object> chunks = chunked.chunks().asJava()
        .map(chunk -> {
          if (chunk.isLastChunk() && counted.compareAndSet(false, true)) {
            String code = "UNKNOWN";
            for (HttpHeader h : chunk.getTrailerHeaders()) {
              if (h.is("grpc-status")) code = codeName(h.value());
            }
            metrics.rpcHandled(service, method, code, start);
          }
          return chunk;
        })
        .watchTermination((mat, done) -> {
          done.whenComplete((ok, err) -> {
            if (counted.compareAndSet(false, true)) {
              metrics.rpcHandled(service, method, err == null ? "CANCELLED" : "UNKNOWN", start);
            }
          });
          return mat;
        });
    return new HttpEntity.Chunked(chunked.contentType(), chunks.asScala());
  }

  private static Optional<String> status(scala.collection.immutable.Seq<Tuple2<String, String>> headers) {
    for (Tuple2<String, String> h : CollectionConverters.asJava(headers)) {
      if (h._1().equalsIgnoreCase("grpc-status")) return Optional.of(h._2());
    }
    return Optional.empty();
  }

  /** {@code "5"} -> {@code NOT_FOUND}. */
  static String codeName(String value) {
    try {
      return Status.fromCodeValue(Integer.parseInt(value.trim())).getCode().name();
    } catch (NumberFormatException e) {
      return Status.Code.UNKNOWN.name();
    }
  }

  /** A response without any grpc-status, read as a gRPC client does (the HTTP to gRPC status mapping). */
  static String fromHttp(int http) {
    Status.Code code = switch (http) {
      case 400 -> Status.Code.INTERNAL;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.UNIMPLEMENTED;
      case 429, 502, 503, 504 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.UNKNOWN;
    };
    return code.name();
  }
}
