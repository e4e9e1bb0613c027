package io.fiberlb.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.Trailers;
import org.apache.pekko.grpc.javadsl.GrpcExceptionHandler;
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
        Throwable cause = unwrap(t);
        Status s = statusOf(cause);
        return s != null ? new Trailers(s) : other.apply(cause);
      };
    };
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

  static void warn(String what) {
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
