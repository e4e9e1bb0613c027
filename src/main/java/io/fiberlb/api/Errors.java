package io.fiberlb.api;

import io.fiberlb.controlplane.model.Rejection;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.pattern.AskTimeoutException;

/** One mapping from what went wrong to a gRPC status; never a catch-all. */
public final class Errors {
  private Errors() {}

  public static GrpcServiceException toStatus(Rejection r) {
    Status status = switch (r.code()) {
      case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      case ABORTED -> Status.ABORTED;
      case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
    };
    return new GrpcServiceException(status.withDescription(r.message()));
  }

  public static GrpcServiceException invalid(String message) {
    return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(message));
  }

  /** Ask timeouts become UNAVAILABLE (retryable); our own status exceptions pass through; the rest is a bug. */
  public static Throwable translate(Throwable t, String what) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof GrpcServiceException) return cause;
    if (cause instanceof AskTimeoutException || cause instanceof TimeoutException) {
      return new GrpcServiceException(Status.UNAVAILABLE.withDescription(what
          + " did not answer in time; a write may or may not have been applied: read it again, or retry with the same request_id"));
    }
    return new GrpcServiceException(Status.INTERNAL.withDescription(cause.getClass().getSimpleName() + ": " + cause.getMessage()));
  }
}
