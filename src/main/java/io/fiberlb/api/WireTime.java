package io.fiberlb.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import java.time.Instant;

/**
 * The one strict reading of {@code google.protobuf.Timestamp} and {@code Duration} from a request. protobuf's own
 * rules decide what is valid (protobuf-java-util's {@code Timestamps.isValid} and {@code Durations.isValid}: years
 * 1..9999, nanos 0..999,999,999 with the sign of the seconds); nothing is rounded, and an invalid value is an
 * INVALID_ARGUMENT naming the field, never a {@code DateTimeException} from deeper down.
 */
public final class WireTime {
  private WireTime() {}

  public static Instant instant(Timestamp t, String field) {
    if (!Timestamps.isValid(t)) {
      throw Errors.invalid(field + ": must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z"
          + " with nanos 0..999999999, got seconds=" + t.getSeconds() + " nanos=" + t.getNanos());
    }
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  /** A non-negative duration in whole milliseconds. */
  public static long millis(Duration d, String field) {
    if (d.getSeconds() < 0 || d.getNanos() < 0) throw Errors.invalid(field + ": must not be negative");
    if (!Durations.isValid(d)) {
      throw Errors.invalid(field + ": must have nanos 0..999999999 and seconds at most 315576000000, got seconds="
          + d.getSeconds() + " nanos=" + d.getNanos());
    }
    if (d.getNanos() % 1_000_000 != 0) throw Errors.invalid(field + ": must be a whole number of milliseconds");
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }
}
