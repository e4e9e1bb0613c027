package io.fiberlb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnknownFieldSet;
import io.fiberlb.api.v1.CreateListenerRequest;
import io.fiberlb.api.v1.CreateLoadBalancerRequest;
import io.fiberlb.api.v1.ListenerSpec;
import io.fiberlb.api.v1.LoadBalancerSpec;
import io.fiberlb.controlplane.model.Caller;
import io.grpc.Status;
import java.time.Instant;
import java.util.Collections;
import org.apache.pekko.grpc.GrpcServiceException;
import org.junit.jupiter.api.Test;

/** The strict readers of the wire: times, durations, generic request rules, page tokens, request digests. */
class WireRulesTest {
  private static void refused(Runnable r, String message) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(GrpcServiceException.class, e -> {
      assertThat(e.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.status().getDescription()).startsWith(message);
    });
  }

  private static Timestamp ts(long s, int n) {
    return Timestamp.newBuilder().setSeconds(s).setNanos(n).build();
  }

  private static Duration d(long s, int n) {
    return Duration.newBuilder().setSeconds(s).setNanos(n).build();
  }

  @Test
  void timestamps() {
    assertThat(WireTime.instant(ts(0, 0), "t")).isEqualTo(Instant.EPOCH);
    assertThat(WireTime.instant(ts(-62135596800L, 0), "t")).isEqualTo(Instant.parse("0001-01-01T00:00:00Z"));
    assertThat(WireTime.instant(ts(253402300799L, 999_999_999), "t"))
        .isEqualTo(Instant.parse("9999-12-31T23:59:59.999999999Z"));
    for (long[] bad : new long[][] {{Long.MAX_VALUE, 0}, {Long.MIN_VALUE, 0}, {-62135596801L, 0}, {253402300800L, 0},
        {0, -1}, {0, 1_000_000_000}}) {
      refused(() -> WireTime.instant(ts(bad[0], (int) bad[1]), "from_time"), "from_time: must be a time from 0001");
    }
  }

  @Test
  void durations() {
    assertThat(WireTime.millis(d(2, 500_000_000), "x")).isEqualTo(2500);
    assertThat(WireTime.millis(d(0, 0), "x")).isZero();
    refused(() -> WireTime.millis(d(0, 1_000_000_000), "listener.timeout_client_idle"),
        "listener.timeout_client_idle: must have nanos 0..999999999");
    refused(() -> WireTime.millis(d(0, -1), "x"), "x: must not be negative");
    refused(() -> WireTime.millis(d(-1, 0), "x"), "x: must not be negative");
    refused(() -> WireTime.millis(d(Long.MAX_VALUE, 0), "x"), "x: must have nanos");
    refused(() -> WireTime.millis(d(0, 1), "x"), "x: must be a whole number of milliseconds");
  }

  @Test
  void genericRules() {
    WireChecks.check(CreateListenerRequest.newBuilder().setListener(ListenerSpec.newBuilder().setName("ok")
        .addAllowedCidrs("10.0.0.0/8")).build());
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setListener(ListenerSpec.newBuilder()
        .setName("a\u202eb")).build()), "listener.name: must not contain control characters or bidirectional overrides");
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setListener(ListenerSpec.newBuilder()
        .addAllAllowedCidrs(Collections.nCopies(101, "10.0.0.0/8"))).build()), "listener.allowed_cidrs: at most 100");
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setRequestId("r".repeat(2049)).build()),
        "request_id: must be at most 2048");
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setListener(ListenerSpec.newBuilder()
        .setProtocolValue(42)).build()), "listener.protocol: unknown value 42");
    var unknown = UnknownFieldSet.newBuilder().addField(77, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setListener(ListenerSpec.newBuilder()
        .setUnknownFields(unknown)).build()), "listener: unknown field number 77");
    refused(() -> WireChecks.check(CreateListenerRequest.newBuilder().setUnknownFields(unknown).build()),
        "request: unknown field number 77");
  }

  @Test
  void pageTokensAreBoundToTheirList() {
    var a = new Caller("org", "p1", "u", "", "r");
    var b = new Caller("org", "p2", "u", "", "r");
    String scope = ControlPlaneGateway.listScope(a, "POOL", "lb/");
    String token = ControlPlaneGateway.encodeToken(7, scope);
    assertThat(ControlPlaneGateway.decodeToken(token, scope)).isEqualTo(7);
    assertThat(ControlPlaneGateway.decodeToken("", scope)).isZero();
    refused(() -> ControlPlaneGateway.decodeToken(token, ControlPlaneGateway.listScope(b, "POOL", "lb/")),
        "page_token: belongs to another list or project");
    refused(() -> ControlPlaneGateway.decodeToken(token, ControlPlaneGateway.listScope(a, "LISTENER", "lb/")),
        "page_token: belongs to another list");
    refused(() -> ControlPlaneGateway.decodeToken("djE6Nw", scope), "page_token: not a token this server gave out");
    refused(() -> ControlPlaneGateway.decodeToken("%%%", scope), "page_token: not a token this server gave out");
  }

  @Test
  void requestDigestsIgnoreTheRequestIdOnly() {
    var one = CreateLoadBalancerRequest.newBuilder().setRequestId("a").setLoadBalancer(LoadBalancerSpec.newBuilder()
        .setName("x")).build();
    assertThat(ControlPlaneGateway.requestHash(one))
        .isEqualTo(ControlPlaneGateway.requestHash(one.toBuilder().setRequestId("b").build()))
        .isNotEqualTo(ControlPlaneGateway.requestHash(one.toBuilder().setLoadBalancer(LoadBalancerSpec.newBuilder()
            .setName("y")).build()));
  }

  @Test
  void unreadableBodiesNameTheirMessage() {
    InvalidProtocolBufferException e = null;
    try {
      CreateLoadBalancerRequest.parseFrom(new byte[] {0x0a, 0x7f});
    } catch (InvalidProtocolBufferException x) {
      e = x;
    }
    assertThat(RequestErrors.statusOf(e).getDescription())
        .isEqualTo("request body: not a valid fiberlb.v1.CreateLoadBalancerRequest");
    assertThat(RequestErrors.statusOf(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(RequestErrors.statusOf(new IllegalStateException("a bug"))).isNull();
  }
}
