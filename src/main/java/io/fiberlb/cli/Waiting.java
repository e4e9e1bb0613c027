package io.fiberlb.cli;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.fiberlb.api.v1.GetLoadBalancerStatusRequest;
import io.fiberlb.api.v1.LoadBalancerServiceClient;
import io.fiberlb.api.v1.LoadBalancerStatus;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --wait} and {@code --wait-timeout} on create, update and delete, and the waiting itself: the reply of a
 * write says what was accepted; waiting polls until the load balancer's whole status tree has no PENDING_*
 * status left (a listener is pending until the data plane has bound its port or failed to), then reads the
 * resource again and judges it.
 */
final class Waiting {
  /** Exit status when --wait-timeout passed first. */
  static final int TIMED_OUT = 4;
  private static final Duration EVERY = Duration.ofMillis(200);

  /** The mixin. */
  static final class Options {
    @Option(names = "--wait", order = 95,
        description = "Wait until the change has taken effect: provisioning_status is no longer PENDING_* anywhere"
            + " in the load balancer (a listener's port bound, or not), then print the resource as it is then."
            + " Exit 1 if it is in ERROR (with the reason), 4 if --wait-timeout passes first."
            + " Health checks judge backends later, every --interval.")
    boolean wait;

    @Option(names = "--wait-timeout", order = 96, paramLabel = "DURATION", converter = JavaDuration.class,
        defaultValue = "60s",
        description = "How long --wait waits, like 30s or 2m. Default: ${DEFAULT-VALUE}.")
    Duration timeout;
  }

  /** {@code 30s}, {@code 2m} to a java.time.Duration. */
  static final class JavaDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      try {
        Duration d = io.fiberlb.util.Durations.parse(text);
        if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("must be above 0, got " + text);
        return d;
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** --wait-timeout passed: exits {@link #TIMED_OUT} with what was last seen. */
  static final class TimedOut extends RuntimeException {
    TimedOut(String message) {
      super(message);
    }
  }

  /** The resource ended in ERROR: exit 1 with the reason (the resource itself was printed). */
  static final class EndedInError extends RuntimeException {
    EndedInError(String message) {
      super(message);
    }
  }

  private final Api api;
  private final Options options;
  private final Instant deadline;

  Waiting(Api api, Options options) {
    this.api = api;
    this.options = options;
    this.deadline = Instant.now().plus(options.timeout);
  }

  /** Polls the status tree of {@code lbId} until nothing in it is pending. */
  void untilSettled(String lbId) {
    var client = api.client(LoadBalancerServiceClient::create);
    LoadBalancerStatus last = null;
    while (true) {
      last = api.call(client.getLoadBalancerStatus(), GetLoadBalancerStatusRequest.newBuilder().setId(lbId).build());
      String pending = pending(last);
      if (pending == null) return;
      if (Instant.now().isAfter(deadline)) {
        throw new TimedOut("waited " + io.fiberlb.util.Durations.formatMillis(options.timeout.toMillis())
            + " (--wait-timeout) and " + pending + " is still pending");
      }
      LockSupport.parkNanos(EVERY.toNanos());
    }
  }

  /** Polls {@code get} until it answers NOT_FOUND (the resource is gone), or a DELETED resource. */
  void untilGone(Supplier<Message> get, String what) {
    while (true) {
      try {
        Message m = get.get();
        if (status(m, "provisioning_status").equals("DELETED")) return;
      } catch (Api.CallFailed f) {
        if (f.status.getCode() == Status.Code.NOT_FOUND) return;
        throw f;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new TimedOut("waited " + io.fiberlb.util.Durations.formatMillis(options.timeout.toMillis())
            + " (--wait-timeout) and " + what + " is still there");
      }
      LockSupport.parkNanos(EVERY.toNanos());
    }
  }

  /** The first pending thing in the tree ({@code listener ID}), or null. */
  static String pending(LoadBalancerStatus s) {
    for (var l : s.getListenersList()) {
      if (isPending(l.getProvisioningStatus().name())) return "listener " + l.getId();
    }
    for (var p : s.getPoolsList()) {
      if (isPending(p.getProvisioningStatus().name())) return "pool " + p.getId();
      for (var b : p.getBackendsList()) {
        if (isPending(b.getProvisioningStatus().name())) return "backend " + b.getId();
      }
    }
    return isPending(s.getProvisioningStatus().name()) ? "load balancer " + s.getId() : null;
  }

  private static boolean isPending(String status) {
    return status.startsWith("PENDING_");
  }

  /**
   * Why a settled resource failed, or null: its provisioning_status or operating_status is ERROR (with the
   * operating_status_reason where it has one).
   */
  static String failure(Message resource) {
    String provisioning = status(resource, "provisioning_status");
    String operating = status(resource, "operating_status");
    if (!provisioning.equals("ERROR") && !operating.equals("ERROR")) return null;
    FieldDescriptor reason = resource.getDescriptorForType().findFieldByName("operating_status_reason");
    String why = reason == null ? "" : (String) resource.getField(reason);
    return (provisioning.equals("ERROR") ? "provisioning_status" : "operating_status") + " is ERROR"
        + (why.isEmpty() ? "" : ": " + why);
  }

  private static String status(Message m, String field) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(field);
    return f == null ? "" : ((EnumValueDescriptor) m.getField(f)).getName();
  }
}
