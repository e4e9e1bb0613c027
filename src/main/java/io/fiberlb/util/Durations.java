package io.fiberlb.util;

import java.time.Duration;
import java.util.regex.Pattern;

/** Durations as people write them: {@code 500ms}, {@code 2s}, {@code 1m30s}, {@code 1h}. */
public final class Durations {
  private Durations() {}

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  /** Parses {@code 2s}, {@code 500ms}, {@code 1m30s}; throws IllegalArgumentException saying what is accepted. */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim();
    var m = PART.matcher(s);
    long nanos = 0;
    int at = 0;
    while (at < s.length() && m.find(at) && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      long unit = switch (m.group(2)) {
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        case "h" -> 3_600_000_000_000L;
        default -> 86_400_000_000_000L;
      };
      nanos += Math.round(n * unit);
      at = m.end();
    }
    if (s.isEmpty() || at != s.length()) {
      throw new IllegalArgumentException(
          "not a duration: '" + text + "' (write it like 500ms, 2s, 1m30s, 1h)");
    }
    return Duration.ofNanos(nanos);
  }

  /** The shortest exact rendering: 1500 -> {@code 1.5s}, 90000 -> {@code 1m30s}, 250 -> {@code 250ms}. */
  public static String formatMillis(long ms) {
    if (ms == 0) return "0s";
    if (ms < 0) return "-" + formatMillis(-ms);
    var sb = new StringBuilder();
    long h = ms / 3_600_000, m = (ms / 60_000) % 60, s = (ms / 1000) % 60, rest = ms % 1000;
    if (h > 0) sb.append(h).append('h');
    if (m > 0) sb.append(m).append('m');
    if (s > 0 || (rest > 0 && sb.length() > 0)) {
      sb.append(s);
      if (rest > 0) sb.append('.').append(String.format("%03d", rest).replaceAll("0+$", ""));
      sb.append('s');
    } else if (rest > 0) {
      sb.append(rest).append("ms");
    }
    return sb.toString();
  }
}
