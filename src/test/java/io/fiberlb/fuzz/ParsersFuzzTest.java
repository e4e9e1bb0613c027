package io.fiberlb.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.WireTime;
import io.fiberlb.port.ExpectedCodes;
import io.fiberlb.serialization.IsoInstant;
import io.fiberlb.util.Addresses;
import io.fiberlb.util.Durations;
import io.grpc.Status;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The hand-written parsers under coverage-guided fuzzing (Jazzer): each either answers or refuses in the one way
 * it documents, and what it accepts reads back the same. {@code mvn test} runs the seed inputs in
 * src/test/resources/io/fiberlb/fuzz/ParsersFuzzTestInputs; see docs/architecture.md for longer runs.
 */
class ParsersFuzzTest {
  @FuzzTest(maxDuration = "5s")
  void isoInstant(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    var parsed = IsoInstant.parse(text);
    if (parsed != null) assertThat(IsoInstant.parse(IsoInstant.format(parsed))).isEqualTo(parsed);
  }

  @FuzzTest(maxDuration = "5s")
  void durations(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    try {
      assertThat(Durations.parse(text).isNegative()).isFalse();
    } catch (IllegalArgumentException refused) {
      assertThat(refused.getMessage()).isNotBlank();
    }
  }

  @FuzzTest(maxDuration = "5s")
  void expectedCodes(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    ExpectedCodes.parse(text).ifPresent(codes -> codes.ranges().forEach(r -> {
      assertThat(r.low()).isBetween(100, 599);
      assertThat(r.high()).isBetween(r.low(), 599);
    }));
  }

  @FuzzTest(maxDuration = "5s")
  void addresses(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    Addresses.ip(text).ifPresent(a -> assertThat(Addresses.ip(a.toCanonicalString())).contains(a));
    Addresses.cidr(text).ifPresent(a -> assertThat(Addresses.cidr(a.toCanonicalString())).isPresent());
    Addresses.backendProblem(text);
    Addresses.isHostname(text);
  }

  @FuzzTest(maxDuration = "5s")
  void protobufTimes(FuzzedDataProvider data) {
    long seconds = data.consumeLong();
    int nanos = data.consumeInt();
    try {
      var i = WireTime.instant(Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build(), "t");
      assertThat(i.getEpochSecond()).isEqualTo(seconds);
    } catch (GrpcServiceException e) {
      assertThat(e.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
    try {
      long ms = WireTime.millis(Duration.newBuilder().setSeconds(seconds).setNanos(nanos).build(), "d");
      assertThat(ms).isEqualTo(seconds * 1000 + nanos / 1_000_000);
    } catch (GrpcServiceException e) {
      assertThat(e.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
  }
}
