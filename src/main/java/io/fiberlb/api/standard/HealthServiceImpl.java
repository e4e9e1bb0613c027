package io.fiberlb.api.standard;

import io.grpc.Status;
import io.grpc.health.v1.Health;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code grpc.health.v1.Health}, as Kubernetes gRPC probes and load balancers ask it: SERVING while the node is
 * {@link Readiness#ready() ready}, else NOT_SERVING; the same for the whole server ({@code ""}) and each service it
 * serves. Answered without credentials. Watch sends the status at once and then each change.
 */
public final class HealthServiceImpl implements Health {
  /** How often a Watch looks at the readiness; a change reaches the watcher within about this long. */
  static final Duration WATCH_INTERVAL = Duration.ofMillis(500);

  private final Readiness readiness;
  private final Set<String> services;

  /** @param services the names of the services served, e.g. {@code fiberlb.v1.LoadBalancerService} */
  public HealthServiceImpl(Readiness readiness, Set<String> services) {
    this.readiness = readiness;
    this.services = Set.copyOf(services);
  }

  private ServingStatus status(String service) {
    if (!service.isEmpty() && !services.contains(service)) return ServingStatus.SERVICE_UNKNOWN;
    return readiness.ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  private static HealthCheckResponse response(ServingStatus status) {
    return HealthCheckResponse.newBuilder().setStatus(status).build();
  }

  @Override
  public CompletionStage<HealthCheckResponse> check(HealthCheckRequest in) {
    ServingStatus status = status(in.getService());
    if (status == ServingStatus.SERVICE_UNKNOWN) {
      return CompletableFuture.failedFuture(new GrpcServiceException(Status.NOT_FOUND.withDescription(
          "service '" + in.getService() + "' is not served here")));
    }
    return CompletableFuture.completedFuture(response(status));
  }

  @Override
  public Source<HealthCheckResponse, NotUsed> watch(HealthCheckRequest in) {
    return Source.tick(Duration.ZERO, WATCH_INTERVAL, NotUsed.notUsed())
        .map(t -> status(in.getService()))
        .statefulMapConcat(() -> {
          ServingStatus[] last = {null};
          return s -> {
            if (s == last[0]) return List.of();
            last[0] = s;
            return List.of(response(s));
          };
        })
        .mapMaterializedValue(c -> NotUsed.notUsed());
  }
}
