package io.fiberlb.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.typesafe.config.Config;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.grpc.javadsl.GrpcMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.japi.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API answers when a request never reaches a service implementation: its body does not parse as the
 * method's request message (INVALID_ARGUMENT, naming the message), or it is larger than
 * {@code fiberlb.grpc.max-request-bytes} (RESOURCE_EXHAUSTED). pekko-grpc decodes in its generated handler and
 * would answer INTERNAL, with an ERROR and a stack trace in the log per call; here such calls are a client's
 * mistake, logged as one WARN per {@link #WARN_EVERY_MS} at most, with the count of those not logged. Everything
 * else goes to pekko-grpc's own mapping.
 */
public final class RequestErrors {
  private static final Logger log = LoggerFactory.getLogger(RequestErrors.class);
  static final long WARN_EVERY_MS = 10_000;
  private static final AtomicLong lastWarn = new AtomicLong(Long.MIN_VALUE / 2);
  private static final AtomicLong unlogged = new AtomicLong();

  private RequestErrors() {}

  /** The exception handler every generated service handler is created with. */
  public static Function<ActorSystem, Function<Throwable, Trailers>> mapper() {
    Function<ActorSystem, Function<Throwable, Trailers>> fallback = GrpcExceptionHandler.defaultMapper();
    return system -> {
      Function<Throwable, Trailers> other = fallback.apply(system);
      return t -> {
        Status s = statusOf(unwrap(t));
        return s != null ? new Trailers(s) : other.apply(t);
      };
    };
  }

  /**
   * Reads the body of every call to FiberLB's own services (all unary or server-streaming: one request message)
   * in full, up to {@code fiberlb.grpc.max-request-bytes}, before {@code handler} decodes it. A larger body is
   * answered RESOURCE_EXHAUSTED here. A body read in full also means a refusal never cancels a request stream the
   * client is still closing, which a client can see as CANCELLED instead of the status. Other paths (server
   * reflection, a bidirectional stream) pass through untouched.
   */
  public static org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> limited(
      org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> handler, Config config,
      ClassicActorSystemProvider system) {
    long max = config.getBytes("fiberlb.grpc.max-request-bytes");
    long readMillis = config.getDuration("fiberlb.grpc.ask-timeout").toMillis();
    Materializer mat = SystemMaterializer.get(system).materializer();
    Function<ActorSystem, Function<Throwable, Trailers>> eh = mapper();
    return req -> {
      if (!req.getUri().path().startsWith(OWN_SERVICES)) return handler.apply(req);
      return read(req.entity(), max, readMillis, mat).handle((bytes, err) -> {
        if (err != null) return refuse(req, err, eh, system);
        try {
          return handler.apply(req.withEntity(HttpEntities.create(req.entity().getContentType(), bytes)));
        } catch (Exception e) {
          return CompletableFuture.<HttpResponse>failedFuture(e);
        }
      }).thenCompose(r -> r);
    };
  }

  /** How much of a body over the limit is read and dropped after the refusal, at most, in multiples of the limit. */
  static final int DRAIN_FACTOR = 4;

  /**
   * The whole body, or a failure with {@link EntityStreamSizeException} as soon as it passes {@code max}. Past the
   * limit the rest is read and dropped (up to {@link #DRAIN_FACTOR} times the limit): cancelling the request stream
   * at once makes the server reset it, and a client that sees the reset before the answer reports CANCELLED.
   */
  static CompletionStage<ByteString> read(HttpEntity entity, long max, long readMillis, Materializer mat) {
    var body = new CompletableFuture<ByteString>();
    var acc = ByteString.createBuilder();
    long[] seen = {0};
    entity.withoutSizeLimit().getDataBytes().completionTimeout(java.time.Duration.ofMillis(readMillis))
        .takeWhile(chunk -> seen[0] <= max * DRAIN_FACTOR)
        .runWith(Sink.foreach(chunk -> {
          seen[0] += chunk.size();
          if (body.isDone()) return;
          if (seen[0] > max) {
            body.completeExceptionally(new EntityStreamSizeException(max, scala.Option.apply(seen[0])));
          } else {
            acc.append(chunk);
          }
        }), mat)
        .whenComplete((done, err) -> {
          if (err instanceof java.util.concurrent.TimeoutException) {
            body.completeExceptionally(new org.apache.pekko.grpc.GrpcServiceException(Status.DEADLINE_EXCEEDED
                .withDescription("request body: not received in full within " + readMillis + " ms")));
          } else if (err != null) {
            body.completeExceptionally(err);
          } else {
            body.complete(acc.result());
          }
        });
    return body;
  }

  private static final String OWN_SERVICES = "/fiberlb.";

  private static CompletionStage<HttpResponse> refuse(HttpRequest req, Throwable err,
      Function<ActorSystem, Function<Throwable, Trailers>> eh, ClassicActorSystemProvider system) {
    return GrpcMarshalling.<HttpResponse>negotiated(req, (reader, writer) ->
            CompletableFuture.completedFuture(GrpcExceptionHandler.standard(err, eh, writer, system)))
        .orElseGet(() -> CompletableFuture.completedFuture(
            HttpResponse.create().withStatus(StatusCodes.UNSUPPORTED_MEDIA_TYPE)));
  }

  /** The status of a request that could not be read, or null when {@code t} is something else. */
  static Status statusOf(Throwable t) {
    if (t instanceof InvalidProtocolBufferException e) {
      MessageLite partial = e.getUnfinishedMessage();
      String type = partial instanceof com.google.protobuf.Message m ? m.getDescriptorForType().getFullName()
          : "request message";
      warn("request body: not a valid " + type + " (" + e.getMessage() + ")");
      return Status.INVALID_ARGUMENT.withDescription("request body: not a valid " + type);
    }
    if (t instanceof EntityStreamSizeException e) {
      warn("request body: larger than " + e.limit() + " bytes");
      return Status.RESOURCE_EXHAUSTED.withDescription("request body: larger than the limit of " + e.limit()
          + " bytes (fiberlb.grpc.max-request-bytes)");
    }
    return null;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static void warn(String what) {
    long now = System.currentTimeMillis();
    long last = lastWarn.get();
    if (now - last >= WARN_EVERY_MS && lastWarn.compareAndSet(last, now)) {
      long skipped = unlogged.getAndSet(0);
      log.warn("refused a request that could not be read: {}{}", what,
          skipped == 0 ? "" : " (and " + skipped + " more since the last such warning)");
    } else {
      unlogged.incrementAndGet();
    }
  }
}
