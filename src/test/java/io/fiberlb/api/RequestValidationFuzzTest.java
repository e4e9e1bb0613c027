package io.fiberlb.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.fiberlb.api.v1.CreateBackendRequest;
import io.fiberlb.api.v1.CreateHealthCheckRequest;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.CreatePoolRequest;
import io.fiberlb.api.v1.GetLoadBalancerAtRequest;
import io.fiberlb.api.v1.ListEventsRequest;
import io.fiberlb.controlplane.CreateRules;
import io.fiberlb.controlplane.model.ChildPatch;
import io.fiberlb.controlplane.model.Validation;
import io.grpc.Status;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * Request validation under coverage-guided fuzzing: any bytes, read as one of the request messages (the first
 * byte picks which), then put through everything the API does before it asks an entity (wire checks, wire-to-domain
 * mapping, the field rules of a new resource). The only acceptable outcomes are a parse error, an
 * INVALID_ARGUMENT with a message, or a valid request; any other exception is a bug. {@code mvn test} runs the seed
 * inputs; docs/architecture.md says how to fuzz for longer.
 */
class RequestValidationFuzzTest {
  private static final List<Parser<? extends Message>> PARSERS = List.of(CreateLoadBalancerRequest.parser(),
      CreateListenerRequest.parser(), CreatePoolRequest.parser(), CreateBackendRequest.parser(),
      CreateHealthCheckRequest.parser(), ListEventsRequest.parser(), GetLoadBalancerAtRequest.parser());

  @FuzzTest(maxDuration = "5s")
  void requestsAreRefusedOnlyAsInvalidArgument(byte[] data) {
    if (data.length == 0) return;
    Message request;
    try {
      request = PARSERS.get(Math.floorMod(data[0], PARSERS.size())).parseFrom(Arrays.copyOfRange(data, 1, data.length));
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    try {
      WireChecks.check(request);
      validate(request);
    } catch (GrpcServiceException e) {
      assertThat(e.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.status().getDescription()).isNotBlank();
    }
  }

  private static void validate(Message request) {
    Instant now = Instant.EPOCH;
    if (request instanceof CreateLoadBalancerRequest r) {
      CreateRules.check(ProtoMapper.patch(r.getLoadBalancer()), "127.0.10.0/24").ifPresent(x -> {
        throw Errors.toStatus(x);
      });
      ControlPlaneGateway.requestHash(r);
      return;
    }
    ChildPatch patch = null;
    if (request instanceof CreateListenerRequest r) patch = ListenerServiceImpl.patch(r.getListener());
    if (request instanceof CreatePoolRequest r) patch = PoolServiceImpl.patch(r.getPool());
    if (request instanceof CreateBackendRequest r) patch = BackendServiceImpl.patch(r.getBackend());
    if (request instanceof CreateHealthCheckRequest r) patch = HealthCheckServiceImpl.patch(r.getHealthCheck());
    if (request instanceof ListEventsRequest r) {
      if (r.hasFromTime()) WireTime.instant(r.getFromTime(), "from_time");
      if (r.hasToTime()) WireTime.instant(r.getToTime(), "to_time");
      ControlPlaneGateway.decodeToken(r.getPageToken(), "scope");
    }
    if (request instanceof GetLoadBalancerAtRequest r && r.getAt().hasTime()) {
      WireTime.instant(r.getAt().getTime(), "at.time");
    }
    if (patch == null) return;
    var candidate = patch.applyTo(ChildPatch.defaults(patch.kind(), "id", "pool", 1, now), 1, now);
    Validation.child(candidate, null).ifPresent(x -> {
      throw Errors.toStatus(x);
    });
  }
}
