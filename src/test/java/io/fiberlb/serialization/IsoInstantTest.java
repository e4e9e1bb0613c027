package io.fiberlb.serialization;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written instant codec against java.time's {@code ISO_INSTANT}: the same text both ways. */
class IsoInstantTest {
  private static final long MIN = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
  private static final long MAX = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

  private static Instant random(Random r) {
    long second = MIN + (long) (r.nextDouble() * (MAX - MIN));
    int nano = switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> r.nextInt(1000) * 1_000_000;
      case 2 -> r.nextInt(1_000_000) * 1_000;
      default -> r.nextInt(1_000_000_000);
    };
    return Instant.ofEpochSecond(second, nano);
  }

  @Test
  void formatsAndParsesExactlyAsIsoInstant() {
    var r = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      Instant t = random(r);
      String text = DateTimeFormatter.ISO_INSTANT.format(t);
      assertThat(IsoInstant.format(t)).as("format %s", text).isEqualTo(text);
      assertThat(IsoInstant.parse(text)).as("parse %s", text).isEqualTo(t);
    }
    for (String edge : List.of("1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999999999Z", "2000-02-29T12:00:00.5Z",
        "2026-11-21T16:33:55.535Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.123456789Z")) {
      assertThat(IsoInstant.parse(edge)).as(edge).isEqualTo(Instant.parse(edge));
      assertThat(IsoInstant.format(Instant.parse(edge))).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(Instant.parse(edge)));
    }
  }

  @Test
  void leavesEveryOtherShapeToJavaTime() {
    for (String other : List.of("2026-11-21T16:33:55+01:00", "2026-02-30T00:00:00Z", "2026-11-21T24:00:00Z",
        "2026-11-21T23:59:60Z", "2026-11-21T16:33:55.Z", "2026-11-21T16:33:55.1234567890Z", "+12026-11-21T16:33:55Z",
        "2026-11-21 16:33:55Z", "2026-1x-21T16:33:55Z", "", "2026-11-21T16:33:55z")) {
      assertThat(IsoInstant.parse(other)).as(other).isNull();
    }
    Instant far = Instant.parse("+12026-11-21T16:33:55Z");
    assertThat(IsoInstant.format(far)).isEqualTo(DateTimeFormatter.ISO_INSTANT.format(far));
  }

  record Stamped(Instant at, String name) {}

  @Test
  void theModuleWritesTheSameBytesAsJavaTimeModuleAndReadsWhatItWrote() throws Exception {
    ObjectMapper plain = new CBORMapper().registerModule(new JavaTimeModule())
        .registerModule(new com.fasterxml.jackson.module.paramnames.ParameterNamesModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    ObjectMapper fast = plain.copy().registerModule(new FastInstantModule());
    var r = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      var v = new Stamped(random(r), "lb-" + i);
      byte[] expected = plain.writeValueAsBytes(v);
      assertThat(fast.writeValueAsBytes(v)).isEqualTo(expected);
      assertThat(fast.readValue(expected, Stamped.class)).isEqualTo(v);
    }
    // Forms only java.time reads still read: an offset, and a numeric timestamp.
    ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule()).registerModule(new FastInstantModule())
        .registerModule(new com.fasterxml.jackson.module.paramnames.ParameterNamesModule());
    assertThat(json.readValue("{\"at\":\"2026-11-21T17:33:55+01:00\",\"name\":\"x\"}", Stamped.class).at())
        .isEqualTo(Instant.parse("2026-11-21T16:33:55Z"));
    assertThat(json.readValue("{\"at\":1700000000.5,\"name\":\"x\"}", Stamped.class).at())
        .isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 500_000_000));
    // Dates as timestamps, if ever configured, are still JavaTimeModule's.
    ObjectMapper numeric = json.copy().enable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    assertThat(numeric.writeValueAsString(new Stamped(Instant.ofEpochSecond(5, 1), "x"))).contains("5.000000001");
  }
}
