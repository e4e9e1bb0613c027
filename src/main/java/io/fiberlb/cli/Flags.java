package io.fiberlb.cli;

import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Timestamp;
import io.fiberlb.api.v1.CliProto;
import io.fiberlb.api.v1.PointInTime;
import io.fiberlb.util.Durations;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The flags and value parsers that several commands share. The flag names are the proto field names in
 * kebab-case, so {@code --protocol-port} is {@code protocol_port} on the wire.
 *
 * <p>Help order: {@code order} 0-9 addresses the resource, 10-79 are the resource's own fields, 80-89 the fields
 * every resource has, 90-99 request options, 100+ the global options of {@link Cli}.
 */
final class Flags {
  private Flags() {}

  /** Sets a proto3 {@code optional} field only when the user gave the flag: unset means "default" or "unchanged". */
  static <T> void set(T value, Consumer<? super T> setter) {
    if (value != null) setter.accept(value);
  }

  /** A list flag as given, without empty entries, so that {@code --tags ''} is the empty list (clears it). */
  static List<String> entries(List<String> given) {
    return given.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** A usage mistake found after parsing (two flags that only make sense together); exits with 2 like picocli's. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  // ------------------------------------------------------------------ value parsers

  /** {@code 500ms}, {@code 2s}, {@code 1m30s}, {@code 1h} to a protobuf Duration. */
  static final class DurationValue implements ITypeConverter<com.google.protobuf.Duration> {
    @Override
    public com.google.protobuf.Duration convert(String text) {
      try {
        return proto(Durations.parse(text));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }

    static com.google.protobuf.Duration proto(java.time.Duration d) {
      return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }
  }

  /**
   * A moment as people write it on a command line: an ISO-8601 instant ({@code 2026-11-21T03:12:00Z}, or with an
   * offset such as {@code +01:00}), or a duration meaning that long before {@code now} ({@code 10m}, {@code 2h},
   * {@code 1d}). A date or date-time without a zone is refused rather than guessed.
   */
  static Instant instant(String text, Instant now) {
    String s = text == null ? "" : text.trim();
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException notWithAZone) {
      // one of the other forms, or a mistake
    }
    rejectWithoutZone(text);
    try {
      return now.minus(Durations.parse(s));
    } catch (IllegalArgumentException notADuration) {
      throw new IllegalArgumentException("'" + text + "' is neither a time nor a duration ago: write an ISO-8601"
          + " time like 2026-11-21T03:12:00Z, or how long ago, like 10m, 2h, 1d");
    }
  }

  /**
   * A point in a load balancer's history: a version number ({@code 12}, from 1), else a time as {@link #instant}
   * reads it.
   */
  static PointInTime point(String text, Instant now) {
    String s = text == null ? "" : text.trim();
    if (s.matches("[+-]?\\d+")) {
      long version = s.length() > 18 ? -1 : Long.parseLong(s);
      if (version < 1) throw new IllegalArgumentException("'" + text + "' is not a version: versions count from 1");
      return PointInTime.newBuilder().setVersion(version).build();
    }
    rejectWithoutZone(text);
    try {
      return PointInTime.newBuilder().setTime(timestamp(instant(s, now))).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is neither a version (like 12) nor a time: write an"
          + " ISO-8601 time like 2026-11-21T03:12:00Z, or how long ago, like 10m, 2h, 1d");
    }
  }

  /** A local date or date-time would be read in some time zone; which one is the user's to say. */
  private static void rejectWithoutZone(String text) {
    String s = text == null ? "" : text.trim();
    String dateTime;
    try {
      LocalDateTime.parse(s);
      dateTime = s;
    } catch (DateTimeParseException notADateTime) {
      try {
        LocalDate.parse(s);
        dateTime = s + "T00:00:00";
      } catch (DateTimeParseException notADate) {
        return;
      }
    }
    throw new IllegalArgumentException("'" + text + "' has no time zone: add Z for UTC or an offset, like "
        + dateTime + "Z or " + dateTime + "+01:00");
  }

  static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  /** {@code --since}, {@code --until}, {@code --time}: see {@link #instant}. */
  static final class TimeValue implements ITypeConverter<Instant> {
    @Override
    public Instant convert(String text) {
      try {
        return instant(text, Instant.now());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code --from}, {@code --to}: see {@link #point}. */
  static final class PointValue implements ITypeConverter<PointInTime> {
    @Override
    public PointInTime convert(String text) {
      try {
        return point(text, Instant.now());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /**
   * A proto enum by its value name, in any case and with {@code -} for {@code _} ({@code tcp}, {@code maglev},
   * {@code round-robin}). The zero value ({@code *_UNSPECIFIED}) is not offered. Also the list of accepted values
   * that picocli shows as {@code ${COMPLETION-CANDIDATES}} in the help. Errors name the enum by its
   * {@code (fiberlb.v1.noun)} option.
   */
  static final class ProtoEnumValue implements ITypeConverter<EnumValueDescriptor>, Iterable<String> {
    private final EnumDescriptor type;

    ProtoEnumValue(EnumDescriptor type) {
      this.type = type;
    }

    List<EnumValueDescriptor> accepted() {
      return type.getValues().stream().filter(e -> e.getNumber() != 0).toList();
    }

    @Override
    public EnumValueDescriptor convert(String text) {
      String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      return accepted().stream().filter(e -> e.getName().equals(wanted)).findFirst()
          .orElseThrow(() -> new TypeConversionException(
              "'" + text + "' is not " + noun(type) + "; use one of " + String.join(", ", this)));
    }

    /** "a load-balancing algorithm": the enum's noun option, else its name in words ("a client authentication"). */
    static String noun(EnumDescriptor type) {
      String noun = type.getOptions().getExtension(CliProto.noun);
      if (!noun.isEmpty()) return noun;
      String words = type.getName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
      return (words.matches("[aeiou].*") ? "an " : "a ") + words;
    }

    @Override
    public Iterator<String> iterator() {
      return accepted().stream().map(EnumValueDescriptor::getName).iterator();
    }
  }

  // ------------------------------------------------------------------ mixins

  /** {@code --lb}: the load balancer a child resource belongs to. */
  static final class LbRef {
    @Option(names = "--lb", order = 0, required = true, paramLabel = "LB",
        description = "Id or name of the load balancer it belongs to (a name must be unique in the project).")
    String id;
  }

  /** Create only: {@code --request-id}. */
  static final class Idempotency {
    @Option(names = "--request-id", order = 90, paramLabel = "ID",
        description = "Makes the create safe to retry: a repeat with the same id answers the resource the first"
            + " one made instead of making another. 1..128 characters of A-Z a-z 0-9 . _ : ~ -. Default: none.")
    String requestId = "";
  }

  /** Update and delete: {@code --expected-version}. */
  static final class Precondition {
    @Option(names = "--expected-version", order = 91, paramLabel = "VERSION",
        description = "Refuse the change (ABORTED) unless the resource is still at this version (its version"
            + " field). Default: no check.")
    Long expectedVersion;
  }

  /** List only: {@code --page-size}, {@code --page-token}, {@code --all}. */
  static final class Paging {
    @Option(names = "--page-size", order = 92, paramLabel = "N",
        description = "At most N per page, 1..1000. Default: the server's (50).")
    int pageSize;

    @Option(names = "--page-token", order = 93, paramLabel = "TOKEN",
        description = "Start at this page: the next_page_token of the previous page. Default: the first page.")
    String pageToken = "";

    @Option(names = "--all", order = 94,
        description = "Fetch every page, not only the first, and print them as one list.")
    boolean all;
  }
}
