package io.fiberlb.serialization;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;

/**
 * Instants in the text form {@link DateTimeFormatter#ISO_INSTANT} gives them ({@code 2026-11-21T16:33:55.535Z}: UTC,
 * 0, 3, 6 or 9 digits of fraction), written and read by hand. Every event carries one to three of them, and
 * {@code java.time}'s own parser builds a formatter and a hash map of fields for each one: it was over half of the
 * time to decode an event when the audit replays history (docs/benchmarks.md, "Audit").
 *
 * <p>The output is exactly {@code ISO_INSTANT}'s. {@link #parse} takes exactly that shape (1 to 9 fraction digits)
 * and answers {@code null} for anything else (offsets, leap seconds, years beyond 4 digits), which the caller
 * hands to {@code java.time}.
 */
public final class IsoInstant {
  private IsoInstant() {}

  private static final long MIN_SECOND = -62_167_219_200L; // 0000-01-01T00:00:00Z
  private static final long MAX_SECOND = 253_402_300_799L; // 9999-12-31T23:59:59Z

  /** Appends the instant as {@code ISO_INSTANT} formats it. */
  public static StringBuilder append(long epochSecond, int nano, StringBuilder out) {
    if (epochSecond < MIN_SECOND || epochSecond > MAX_SECOND) {
      return out.append(DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(epochSecond, nano)));
    }
    long days = Math.floorDiv(epochSecond, 86_400L);
    int secondOfDay = (int) Math.floorMod(epochSecond, 86_400L);
    LocalDate date = LocalDate.ofEpochDay(days);
    pad(out, date.getYear(), 4).append('-');
    pad(out, date.getMonthValue(), 2).append('-');
    pad(out, date.getDayOfMonth(), 2).append('T');
    pad(out, secondOfDay / 3600, 2).append(':');
    pad(out, secondOfDay / 60 % 60, 2).append(':');
    pad(out, secondOfDay % 60, 2);
    if (nano != 0) {
      out.append('.');
      if (nano % 1_000_000 == 0) pad(out, nano / 1_000_000, 3);
      else if (nano % 1_000 == 0) pad(out, nano / 1_000, 6);
      else pad(out, nano, 9);
    }
    return out.append('Z');
  }

  public static String format(Instant i) {
    return append(i.getEpochSecond(), i.getNano(), new StringBuilder(30)).toString();
  }

  private static StringBuilder pad(StringBuilder out, int value, int digits) {
    int limit = 1;
    for (int i = 1; i < digits; i++) limit *= 10;
    for (int l = limit; l > 1 && value < l; l /= 10) out.append('0');
    return out.append(value);
  }

  /**
   * {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} as an instant, or {@code null} if the text has any other shape or names
   * a day or time that does not exist.
   */
  public static Instant parse(CharSequence s) {
    int n = s.length();
    if (n < 20 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
        || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 7);
    int day = digits(s, 8, 10);
    int hour = digits(s, 11, 13);
    int minute = digits(s, 14, 16);
    int second = digits(s, 17, 19);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
        || second > 59) {
      return null;
    }
    int nano = 0;
    if (n > 20) {
      int fraction = n - 21;
      if (s.charAt(19) != '.' || fraction < 1 || fraction > 9) return null;
      nano = digits(s, 20, n - 1);
      if (nano < 0) return null;
      for (int i = fraction; i < 9; i++) nano *= 10;
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return null;
    }
    return Instant.ofEpochSecond(epochDay * 86_400L + hour * 3600L + minute * 60L + second, nano);
  }

  /** The decimal number in {@code s[from, to)}, or -1 if any of it is not a digit. */
  private static int digits(CharSequence s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }
}
